// What a model id may look like: the edge's MODELS and registry, the origin's served id, the `model` field.

/** Letters, digits, `.`, `_` and `-`, at most 128: no `/`, so an id is one path segment everywhere. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const isModelId = (id: string) => MODEL_ID_PATTERN.test(id);

/**
 * The id an origin serves when none is configured: a manifest's id (`stabilityai/sd-turbo`) or a
 * folder's name, reduced to its last segment (`sd-turbo`); null when even that is no model id.
 */
export function servedModelId(source: string): string | null {
  const last = source.split("/").filter(Boolean).at(-1) ?? "";
  return isModelId(last) ? last : null;
}
