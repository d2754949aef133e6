// Public: the OpenAI-style model list (GET /v1/models), behind API-key auth.
import { createRoute, z } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, json, newRouter } from "./router";

/** What `model` accepts; the origin reports the checkpoint behind it in each image's receipt. */
export const MODEL_CATALOG = [{ id: "darkroom-sd", created: 1_767_225_600 }] as const;

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
      data: MODEL_CATALOG.map((m) => ({
        id: m.id,
        object: "model" as const,
        created: m.created,
        owned_by: "darkroom",
      })),
    },
    200,
  ),
);
