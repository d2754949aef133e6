// One HTTP transfer into `<file>.partial`: resumes with a Range request, restarts when the server can't.
import { createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { Agent, type Dispatcher, interceptors, request } from "undici";
import type { FileProgress } from "./download-progress";
import { httpStatusFailure, type ModelStoreFailure, networkFailure } from "./model-store-failure";

/** Model hosts (Hugging Face among them) redirect to a CDN, so redirects must be followed. */
export function downloadDispatcher(): Dispatcher {
  return new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));
}

export interface TransferTarget {
  /** The manifest path, for messages. */
  file: string;
  url: string;
  partial: string;
  size: number;
}

export type TransferResult =
  | { ok: true }
  | { ok: false; failure: ModelStoreFailure; retryable: boolean; diskFull?: boolean };

export async function bytesOnDisk(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/** `bytes <start>-<end>/<total>` → start, or undefined when absent or malformed. */
function rangeStart(header: string | string[] | undefined): number | undefined {
  const match = /^bytes (\d+)-/.exec(String(header ?? ""));
  return match ? Number(match[1]) : undefined;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Appends the rest of the file to `partial`. Answers 206 from the right offset → append; 200 →
 * the server ignores ranges, start over; anything else is a tagged failure, retryable for
 * network errors and 5xx/429 (the partial is kept so the next attempt resumes).
 */
export async function transfer(
  target: TransferTarget,
  dispatcher: Dispatcher,
  progress: FileProgress,
): Promise<TransferResult> {
  let have = await bytesOnDisk(target.partial);
  if (have > target.size) {
    await rm(target.partial, { force: true });
    have = 0;
  }
  if (have === target.size && have > 0) return { ok: true };
  progress.update(have);
  let res: Dispatcher.ResponseData;
  try {
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
    res = await request(target.url, { headers, dispatcher });
  } catch (error) {
    const cause = (error as Error).message;
    return { ok: false, failure: networkFailure(target.file, target.url, cause), retryable: true };
  }
  let flags = "a";
  if (res.statusCode === 200) {
    flags = "w";
    have = 0;
    progress.update(0);
  } else if (res.statusCode !== 206 || rangeStart(res.headers["content-range"]) !== have) {
    await res.body.dump();
    if (res.statusCode === 206 || res.statusCode === 416) {
      // The server resumed from somewhere else or refused the range: drop the partial, start over.
      await rm(target.partial, { force: true });
      const cause = `server could not resume at byte ${have}`;
      return {
        ok: false,
        failure: networkFailure(target.file, target.url, cause),
        retryable: true,
      };
    }
    const retryable = res.statusCode >= 500 || res.statusCode === 429;
    return {
      ok: false,
      failure: httpStatusFailure(target.file, target.url, res.statusCode),
      retryable,
    };
  }
  let done = have;
  try {
    await pipeline(
      res.body,
      async function* count(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          done += chunk.length;
          progress.update(done);
          yield chunk;
        }
      },
      createWriteStream(target.partial, { flags }),
    );
  } catch (error) {
    const diskFull = errorCode(error) === "ENOSPC";
    const cause = diskFull ? "no space left on device" : (error as Error).message;
    const failure = networkFailure(target.file, target.url, cause);
    return { ok: false, failure, retryable: !diskFull, diskFull };
  }
  return { ok: true };
}
