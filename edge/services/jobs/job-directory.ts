// Finding a job's Durable Object from its id: only well-formed ids reach storage at all.
import type { GenerationJob } from "./generation-job-do";
import { JOB_ID } from "./job-spec";

/** Null for an id of the wrong shape, which is simply not found (never a validation error). */
export function jobStub(
  namespace: DurableObjectNamespace<GenerationJob>,
  jobId: string,
): DurableObjectStub<GenerationJob> | null {
  if (!JOB_ID.test(jobId)) return null;
  return namespace.get(namespace.idFromName(jobId));
}
