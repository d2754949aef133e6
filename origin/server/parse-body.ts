// A signed route's JSON body, validated: 400 `invalid_request` naming the field, never a 5xx.
import type { z } from "zod";
import { describeZodError } from "../../protocol/errors";
import { OriginError } from "./origin-error";

export function parseJsonBody<S extends z.ZodType>(raw: string, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new OriginError("invalid_request", "Request body is not valid JSON.");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeZodError(parsed.error);
    throw new OriginError("invalid_request", message, param);
  }
  return parsed.data;
}
