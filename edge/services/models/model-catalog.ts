// The model ids this deployment serves (the MODELS binding, a JSON list), what `model` accepts besides "default".
import { z } from "zod";
import { MODEL_ID_PATTERN } from "../../../protocol/model-id";

/** The origin's model id is its model folder's name; the local stack serves the generated tiny model. */
export const DEFAULT_MODEL_IDS: readonly string[] = Object.freeze(["tiny-sd"]);
/** `model: "default"` lets the origin pick the model it serves. */
export const DEFAULT_MODEL_ALIAS = "default";

const ModelIdsSchema = z.array(z.string().regex(MODEL_ID_PATTERN)).min(1);
const parsed = new Map<string, readonly string[]>();

/** Unset or empty → the default list. Malformed configuration throws: a deploy mistake, not a request's. */
export function modelIds(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === "") return DEFAULT_MODEL_IDS;
  let ids = parsed.get(raw);
  if (ids === undefined) {
    ids = Object.freeze(ModelIdsSchema.parse(JSON.parse(raw)));
    parsed.set(raw, ids);
  }
  return ids;
}

export function isKnownModel(model: string, ids: readonly string[]): boolean {
  return model === DEFAULT_MODEL_ALIAS || ids.includes(model);
}
