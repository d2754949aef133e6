// The route cache answers exactly as the router it wraps, and keeps only parameterless matches.
import { Hono } from "hono";
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
import { describe, expect, it } from "vitest";
import { StaticRouteCache } from "./static-route-cache";

class CountingRouter<T> implements Router<T> {
  readonly name = "counting";
  searches = 0;
  private readonly inner = new TrieRouter<T>();
  add(method: string, path: string, handler: T) {
    this.inner.add(method, path, handler);
  }
  match(method: string, path: string): Result<T> {
    this.searches++;
    return this.inner.match(method, path);
  }
}

function routed(router: Router<string>) {
  router.add("ALL", "*", "mw");
  router.add("POST", "/v1/images/generations", "generate");
  router.add("GET", "/v1/images/:image_id", "image");
  router.add("GET", "/v1/images/jobs/:job_id", "job");
  return router;
}

const handlers = (r: Result<string>) => r[0].map(([h]) => h);

describe("StaticRouteCache", () => {
  it("searches a parameterless path once, and one with parameters every time", () => {
    const inner = new CountingRouter<string>();
    const cache = routed(new StaticRouteCache(inner));
    for (let i = 0; i < 3; i++) {
      expect(handlers(cache.match("POST", "/v1/images/generations"))).toEqual(["mw", "generate"]);
    }
    expect(inner.searches).toBe(1);
    const a = cache.match("GET", "/v1/images/img_a");
    const b = cache.match("GET", "/v1/images/jobs/job_b");
    expect(a[0].at(-1)?.[1]).toEqual({ image_id: "img_a" });
    expect(b[0].at(-1)?.[1]).toEqual({ job_id: "job_b" });
    cache.match("GET", "/v1/images/img_a");
    expect(inner.searches).toBe(4);
  });

  it("forgets what it kept when a route is added", () => {
    const inner = new CountingRouter<string>();
    const cache = routed(new StaticRouteCache(inner));
    expect(handlers(cache.match("GET", "/v1/models"))).toEqual(["mw"]);
    cache.add("GET", "/v1/models", "models");
    expect(handlers(cache.match("GET", "/v1/models"))).toEqual(["mw", "models"]);
  });

  it("keeps at most its limit, dropping the oldest", () => {
    const inner = new CountingRouter<string>();
    const cache = routed(new StaticRouteCache(inner, 2));
    cache.match("GET", "/a");
    cache.match("GET", "/b");
    cache.match("GET", "/c"); // drops /a
    const before = inner.searches;
    cache.match("GET", "/c");
    cache.match("GET", "/b");
    expect(inner.searches).toBe(before);
    cache.match("GET", "/a");
    expect(inner.searches).toBe(before + 1);
  });

  it("tells which methods have a route for a path, searching afresh and keeping nothing", () => {
    const inner = new CountingRouter<string>();
    const cache = new StaticRouteCache(inner);
    cache.add("ALL", "*", "mw");
    cache.add("POST", "/v1/images/generations", "generate");
    // As the app routes images: ids of their shape only, so "generations" is never taken for one.
    cache.add("GET", "/v1/images/:image_id{img_[a-z]+}", "image");
    cache.add("GET", "/v1/images/jobs/:job_id", "job");
    const isRoute = (handler: string) => handler !== "mw";
    expect(cache.methodsServing("/v1/images/generations", isRoute)).toEqual(["POST"]);
    expect(cache.methodsServing("/v1/images/img_a", isRoute)).toEqual(["GET"]);
    expect(cache.methodsServing("/v1/images/jobs/job_b", isRoute)).toEqual(["GET"]);
    expect(cache.methodsServing("/nowhere", isRoute)).toEqual([]);
    const searches = inner.searches;
    expect(cache.methodsServing("/v1/images/generations", isRoute)).toEqual(["POST"]);
    expect(inner.searches).toBeGreaterThan(searches);
    // The probe kept nothing: the first real request for a probed pair still searches.
    const before = inner.searches;
    cache.match("DELETE", "/v1/images/generations");
    expect(inner.searches).toBe(before + 1);
  });

  it("serves a Hono app the same answers as the plain TrieRouter", async () => {
    const build = (router: Router<never>) => {
      const app = new Hono({ router: router as never });
      app.use("*", async (c, next) => {
        await next();
        c.header("x-mw", "1");
      });
      app.post("/v1/images/generations", (c) => c.text("generate"));
      app.get("/v1/images/:image_id", (c) => c.text(`image ${c.req.param("image_id")}`));
      app.get("/v1/images/jobs/:job_id", (c) => c.text(`job ${c.req.param("job_id")}`));
      return app;
    };
    const plain = build(new TrieRouter());
    const cached = build(new StaticRouteCache());
    const requests: Array<[string, string]> = [
      ["POST", "/v1/images/generations"],
      ["POST", "/v1/images/generations"],
      ["GET", "/v1/images/img_1"],
      ["GET", "/v1/images/jobs/job_2"],
      ["GET", "/v1/images/jobs"],
      ["GET", "/nowhere"],
      ["DELETE", "/v1/images/generations"],
    ];
    for (const [method, path] of requests) {
      const [want, got] = await Promise.all(
        [plain, cached].map((app) => app.request(path, { method })),
      );
      expect([got!.status, await got!.text(), got!.headers.get("x-mw")]).toEqual([
        want!.status,
        await want!.text(),
        want!.headers.get("x-mw"),
      ]);
    }
  });
});
