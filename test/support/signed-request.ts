// Builds signed (or deliberately mis-signed) requests against an in-process origin app.
import { signRequest } from "../../protocol/signing";

export const TEST_SECRET = "test-origin-secret";

export async function signedInit(
  path: string,
  body: string,
  opts: { secret?: string; method?: string; nowSeconds?: number; contentType?: string } = {},
): Promise<RequestInit> {
  const method = opts.method ?? "POST";
  const headers = await signRequest(
    opts.secret ?? TEST_SECRET,
    { method, path, body },
    opts.nowSeconds,
  );
  return {
    method,
    headers: { ...headers, "content-type": opts.contentType ?? "application/json" },
    ...(method === "GET" ? {} : { body }),
  };
}
