// The model manifest: which files make up a model, where to fetch each, and the SHA-256 it must have.
import { readFile } from "node:fs/promises";
import { type Dispatcher, request } from "undici";
import { z } from "zod";

/** A relative path inside the model folder: no absolute paths, no `..`, no hidden segments. */
const RelativePath = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith("/") && !p.includes("\\") && p.split("/").every(safeSegment),
    "must be a relative path of plain segments (no '..', no leading '/' or '.')",
  );

function safeSegment(segment: string): boolean {
  return segment.length > 0 && !segment.startsWith(".") && /^[\w.@+-]+$/.test(segment);
}

export const ModelManifestSchema = z.object({
  /** Folder name under the cache dir; "org/name" nests. `optimized` is where ORT's graphs live. */
  id: RelativePath.refine((id) => id.split("/")[0] !== "optimized", "'optimized' is reserved"),
  files: z
    .array(
      z.object({
        path: RelativePath,
        /** Absolute http(s) URL, or relative to the manifest's own URL. */
        url: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
        size: z.number().int().nonnegative(),
      }),
    )
    .min(1)
    .refine((files) => new Set(files.map((f) => f.path)).size === files.length, "duplicate path"),
});

export type ModelManifest = z.infer<typeof ModelManifestSchema>;
export type ManifestFile = ModelManifest["files"][number];

export type ManifestResult =
  | { ok: true; manifest: ModelManifest }
  | { ok: false; kind: "manifest_unreadable" | "manifest_invalid"; message: string };

function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

async function fetchText(url: string, dispatcher?: Dispatcher): Promise<string> {
  const res = await request(url, { headers: { accept: "application/json" }, dispatcher });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  return res.body.text();
}

/** Parses a manifest; relative file URLs are resolved against `base` (the manifest's own URL). */
export function parseManifest(raw: unknown, source: string, base?: string): ManifestResult {
  const parsed = ModelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      kind: "manifest_invalid",
      message:
        `Model manifest ${source} is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}. ` +
        "Fix it (format: origin/models/README.md) and restart.",
    };
  }
  const files = parsed.data.files.map((f) => ({ ...f, url: resolveUrl(f.url, base) }));
  const bad = files.find((f) => !isUrl(f.url));
  if (bad) {
    return {
      ok: false,
      kind: "manifest_invalid",
      message: `Model manifest ${source}: ${bad.path} has url "${bad.url}", which is not an http(s) URL. Use an absolute URL, or serve the manifest over http so relative URLs resolve.`,
    };
  }
  return { ok: true, manifest: { id: parsed.data.id, files } };
}

function resolveUrl(url: string, base: string | undefined): string {
  if (isUrl(url) || !base) return url;
  return new URL(url, base).toString();
}

/** Reads a manifest from a local path or an http(s) URL. */
export async function readManifest(
  source: string,
  dispatcher?: Dispatcher,
): Promise<ManifestResult> {
  let text: string;
  try {
    text = isUrl(source) ? await fetchText(source, dispatcher) : await readFile(source, "utf8");
  } catch (error) {
    return {
      ok: false,
      kind: "manifest_unreadable",
      message: `Cannot read model manifest ${source} (${(error as Error).message}). Check DARKROOM_MODEL_MANIFEST points at an existing file or a reachable URL.`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      kind: "manifest_invalid",
      message: `Model manifest ${source} is not JSON (${(error as Error).message}).`,
    };
  }
  return parseManifest(raw, source, isUrl(source) ? source : undefined);
}
