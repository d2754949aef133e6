// Rejects malformed admit arguments from edge code: a programming error throws, unlike a limit, which is a value.
import type { AdmitRequest } from "./tenant-gate";

export function assertAdmitRequest(request: AdmitRequest): void {
  const { requestId, images, unitsPerImage, leaseMs, limits } = request;
  const counts = { images, unitsPerImage, leaseMs };
  if (typeof requestId !== "string" || requestId.length === 0 || requestId.length > 128) {
    throw new RangeError("requestId must be 1–128 characters");
  }
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be ≥ 1`);
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be ≥ 0`);
  }
}
