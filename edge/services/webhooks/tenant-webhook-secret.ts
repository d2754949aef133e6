// Per-tenant webhook signing secrets, derived from one Worker secret so none is ever stored.
import { SECRET_PREFIX, toBase64 } from "./webhook-signature";

/**
 * Only where ENVIRONMENT is "development" (wrangler dev, the local stack, tests) and no
 * WEBHOOK_SIGNING_SECRET is set: the same rule as the dev admin token, so `npm start` works
 * with no setup while every deployed environment must set the real secret.
 */
export const DEV_WEBHOOK_SIGNING_SECRET = "dev-webhook-signing-secret";

/** The label keeps these derivations apart from any other use of the same master secret. */
const DERIVATION_LABEL = "darkroom-webhook-v1:";

export interface WebhookSecretConfig {
  WEBHOOK_SIGNING_SECRET?: string;
  ENVIRONMENT: string;
}

/** The master secret to derive from, or null when webhooks cannot be signed here. */
export function webhookMasterSecret(env: WebhookSecretConfig): string | null {
  if (env.WEBHOOK_SIGNING_SECRET) return env.WEBHOOK_SIGNING_SECRET;
  return env.ENVIRONMENT === "development" ? DEV_WEBHOOK_SIGNING_SECRET : null;
}

/**
 * `whsec_` + base64(HMAC-SHA256(master, label + tenantId)): stable for a tenant, different per
 * tenant, and rotated for everyone by rotating WEBHOOK_SIGNING_SECRET.
 */
export async function tenantWebhookSecret(master: string, tenantId: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(master),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const derived = await crypto.subtle.sign(
    "HMAC",
    key,
    encoder.encode(DERIVATION_LABEL + tenantId),
  );
  return SECRET_PREFIX + toBase64(new Uint8Array(derived));
}
