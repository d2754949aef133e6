// Public: the OpenAI-style model list (GET /v1/models) from the MODELS configuration, behind API-key auth.
import { createRoute, z } from "@hono/zod-openapi";
import { modelIds } from "../services/models/model-catalog";
import { API_KEY_SECURITY, errorResponses, json, newRouter } from "./router";

/** OpenAI lists a creation time per model; darkroom's catalog is configuration, so one fixed stamp. */
const CATALOG_CREATED = 1_767_225_600;

const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal("model"),
    created: z.number().int(),
    owned_by: z.string(),
  })
  .openapi("Model");

const ModelListSchema = z
  .object({ object: z.literal("list"), data: z.array(ModelSchema) })
  .openapi("ModelList");

const listModels = createRoute({
  method: "get",
  path: "/v1/models",
  summary: "List models",
  description: 'Each id is accepted as `model`, and so is "default" (whatever the region serves).',
  security: API_KEY_SECURITY,
  responses: {
    200: { description: "The models this deployment serves", content: json(ModelListSchema) },
    ...errorResponses("missing_api_key", "invalid_api_key"),
  },
});

export const v1Models = newRouter().openapi(listModels, (c) =>
  c.json(
    {
      object: "list" as const,
      data: modelIds(c.env.MODELS).map((id) => ({
        id,
        object: "model" as const,
        created: CATALOG_CREATED,
        owned_by: "darkroom",
      })),
    },
    200,
  ),
);
