// The expected ways fetching a model can fail, each with a message that says what to do next.

export type ModelStoreFailure =
  | { kind: "manifest_unreadable" | "manifest_invalid"; message: string }
  | { kind: "http_status"; file: string; url: string; status: number; message: string }
  | { kind: "network"; file: string; url: string; message: string }
  | { kind: "hash_mismatch"; file: string; expected: string; actual: string; message: string }
  | { kind: "size_mismatch"; file: string; expected: number; actual: number; message: string }
  | { kind: "disk_full"; file: string; needBytes: number; freeBytes: number; message: string };

/** Thrown only where a caller cannot take a value (start-up); carries the tagged failure. */
export class ModelStoreError extends Error {
  override name = "ModelStoreError";
  constructor(readonly failure: ModelStoreFailure) {
    super(failure.message);
  }
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function httpStatusFailure(file: string, url: string, status: number): ModelStoreFailure {
  const hint =
    status === 404 || status === 410
      ? "the manifest's url is wrong or the file was removed from the server; fix the manifest"
      : status === 401 || status === 403
        ? "the server refused access; use a URL that needs no credentials (e.g. a signed URL)"
        : "the server failed; retry later, the partial download is kept and resumes";
  return {
    kind: "http_status",
    file,
    url,
    status,
    message: `Downloading ${file}: GET ${url} answered HTTP ${status}; ${hint}.`,
  };
}

export function networkFailure(file: string, url: string, cause: string): ModelStoreFailure {
  return {
    kind: "network",
    file,
    url,
    message: `Downloading ${file} from ${url} failed (${cause}); check the host is reachable and restart: the partial download resumes where it stopped.`,
  };
}

export function hashMismatch(file: string, expected: string, actual: string): ModelStoreFailure {
  return {
    kind: "hash_mismatch",
    file,
    expected,
    actual,
    message: `Downloaded ${file} has SHA-256 ${actual}, but the manifest expects ${expected}; the file was deleted. Check the manifest's sha256 matches the file the url serves, then restart to download again.`,
  };
}

export function sizeMismatch(file: string, expected: number, actual: number): ModelStoreFailure {
  return {
    kind: "size_mismatch",
    file,
    expected,
    actual,
    message: `Downloaded ${file} is ${actual} bytes, but the manifest says ${expected}; the file was deleted. Check the manifest's size matches the file the url serves, then restart.`,
  };
}

export function diskFull(
  file: string,
  dir: string,
  needBytes: number,
  freeBytes: number,
): ModelStoreFailure {
  return {
    kind: "disk_full",
    file,
    needBytes,
    freeBytes,
    message: `Not enough disk space for ${file} in ${dir}: need ${formatBytes(needBytes)}, ${formatBytes(freeBytes)} free. Free space there or set DARKROOM_MODEL_CACHE_DIR to a larger disk.`,
  };
}
