// Public: GET /v1/webhooks/secret, the caller's webhook signing secret (derived, never stored).
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors/api-error";
import {
  ROTATION_OVERLAP_MS,
  tenantWebhookSecret,
  webhookMasterSecret,
} from "../services/webhooks/tenant-webhook-secret";
import { API_KEY_SECURITY, errorResponses, json, newRouter } from "./router";

const WebhookSecretSchema = z
  .object({
    object: z.literal("webhook_secret"),
    secret: z.string().openapi({
      description: "whsec_<base64>: the HMAC-SHA256 key (base64-decoded) of webhook-signature",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
    version: z.number().int().openapi({
      description: "Bumped by each rotation (POST /admin/tenants/{id}/webhook-secret/rotate)",
    }),
    previous_valid_until: z
      .string()
      .nullable()
      .openapi({
        description:
          "After a rotation, deliveries also carry a signature by the previous secret until then " +
          "(ISO 8601); null when none does",
      }),
    scheme: z.literal("standard-webhooks-v1").openapi({
      description:
        "Headers webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC of " +
        "id.timestamp.raw_body>; reject timestamps over 5 minutes off",
    }),
  })
  .openapi("WebhookSecret");

const getWebhookSecret = createRoute({
  method: "get",
  path: "/v1/webhooks/secret",
  summary: "The secret that signs this tenant's webhook deliveries",
  security: API_KEY_SECURITY,
  responses: {
    200: { description: "The caller's signing secret", content: json(WebhookSecretSchema) },
    ...errorResponses("invalid_api_key", "not_ready"),
  },
});

export const v1Webhooks = newRouter().openapi(getWebhookSecret, async (c) => {
  const master = webhookMasterSecret(c.env);
  if (!master) {
    // An operator's fix (WEBHOOK_SIGNING_SECRET), not a wait: every 503 says when to look again.
    throw new ApiError("not_ready", "Webhook signing is not configured on this edge.", {
      headers: { "retry-after": "60", "x-should-retry": "false" },
    });
  }
  // From D1, not the key's cached tenant: right after a rotation this is the secret that signs.
  const tenant = await c.var.services.tenants.get(c.var.auth.tenantId);
  const version = tenant?.webhookSecretVersion ?? 0;
  const secret = await tenantWebhookSecret(master, c.var.auth.tenantId, version);
  const rotatedAt = tenant?.webhookSecretRotatedAt?.getTime() ?? null;
  const overlapEnd = rotatedAt === null ? null : rotatedAt + ROTATION_OVERLAP_MS;
  c.header("cache-control", "no-store");
  return c.json(
    {
      object: "webhook_secret" as const,
      secret,
      version,
      previous_valid_until:
        version > 0 && overlapEnd !== null && overlapEnd > Date.now()
          ? new Date(overlapEnd).toISOString()
          : null,
      scheme: "standard-webhooks-v1" as const,
    },
    200,
  );
});
