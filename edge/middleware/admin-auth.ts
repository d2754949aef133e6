// Guards /admin/* with the ADMIN_TOKEN secret, compared in constant time.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import { bearerToken } from "./api-key-auth";

/** The wrangler.toml local default: refused outside development so a slip cannot ship it. */
export const DEV_ADMIN_TOKEN = "dev-admin-token";
const encoder = new TextEncoder();

/** Hashing first gives equal-length inputs, so neither content nor length leaks through timing. */
async function sameSecret(offered: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(offered)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

function usableToken(env: AppEnv["Bindings"]): string | null {
  const token = env.ADMIN_TOKEN;
  if (!token) return null;
  if (token === DEV_ADMIN_TOKEN && env.ENVIRONMENT !== "development") return null;
  return token;
}

export function adminAuth() {
  return createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const token = bearerToken(c.req.header("authorization"));
    if (token === null) {
      throw new ApiError(
        "missing_api_key",
        "Admin requests need 'Authorization: Bearer <admin token>'.",
      );
    }
    const expected = usableToken(c.env);
    // Fail closed: with no usable secret configured, no token is right.
    if (expected === null || !(await sameSecret(token, expected))) {
      throw new ApiError("invalid_api_key", "Invalid admin token.");
    }
    await next();
  });
}
