// The OpenAPI document (/openapi.json) built from the route schemas, and a server-rendered /docs page.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";

type Document = ReturnType<OpenAPIHono<AppEnv>["getOpenAPIDocument"]>;

const DOCUMENT_CONFIG = {
  openapi: "3.0.3",
  info: {
    title: "darkroom edge API",
    version: "1",
    description:
      "OpenAI-compatible image generation, plus the admin API. Errors: {error: {message, type, param, code, request_id}}.",
  },
};

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function operationHtml(path: string, method: string, op: Record<string, unknown>): string {
  const responses = Object.keys((op.responses as object | undefined) ?? {}).join(", ");
  const secured = Array.isArray(op.security) && op.security.length > 0;
  return `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>
<p>${escapeHtml(String(op.summary ?? ""))}</p>${op.description ? `<p>${escapeHtml(String(op.description))}</p>` : ""}
<p>Responses: ${escapeHtml(responses)}${secured ? " · requires a Bearer token" : ""}</p></section>`;
}

export function renderDocsPage(doc: Document): string {
  const sections: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method];
      if (op) sections.push(operationHtml(path, method, op as Record<string, unknown>));
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}section{border-top:1px solid #ddd}</style>
</head><body><h1>${escapeHtml(doc.info.title)}</h1><p>${escapeHtml(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>${sections.join("\n")}</body></html>`;
}

/** Registered last on the root app, so the document covers every mounted route. */
export function mountApiDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "ADMIN_TOKEN",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "drk_… API key",
  });
  // The document is static per deployment: build it once per isolate.
  let document: Document | undefined;
  const build = () => {
    document ??= app.getOpenAPIDocument(DOCUMENT_CONFIG);
    return document;
  };
  app.get("/openapi.json", (c) => c.json(build()));
  app.get("/docs", (c) => c.html(renderDocsPage(build())));
}
