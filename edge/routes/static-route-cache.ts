// Remembers the router's answer for parameterless paths (POST /v1/images/generations…), and finds a 405's Allow.
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

/** Distinct method + path pairs kept; the oldest goes first, so a scan of unknown paths only churns. */
export const STATIC_ROUTES_KEPT = 256;

/** The methods a route may be added under; Hono answers HEAD with GET's routes. */
const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * Hono's RegExpRouter cannot hold GET /v1/images/{image_id} beside GET /v1/images/jobs/{job_id}, so
 * the app runs on the TrieRouter, whose search (about 20 middleware and route entries) was the
 * biggest single JavaScript cost of a generation request in the edge's CPU profile. A match without
 * path parameters depends only on method and path and never changes once routes are added, so it
 * is kept and handed back as is; matches with parameters (image and job ids) are searched each time.
 */
export class StaticRouteCache<T> implements Router<T> {
  readonly name: string;
  private readonly kept = new Map<string, Result<T>>();

  constructor(
    private readonly inner: Router<T> = new TrieRouter<T>(),
    private readonly limit = STATIC_ROUTES_KEPT,
  ) {
    this.name = `StaticRouteCache(${inner.name})`;
  }

  add(method: string, path: string, handler: T): void {
    this.kept.clear();
    this.inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    const hit = this.kept.get(key);
    if (hit !== undefined) return hit;
    const result = this.inner.match(method, path);
    if (withoutParams(result)) {
      if (this.kept.size >= this.limit) this.kept.delete(this.kept.keys().next().value as string);
      this.kept.set(key, result);
    }
    return result;
  }

  /**
   * The methods under which `path` reaches a handler that `isRoute` accepts (a route, not
   * middleware): what a 405's Allow lists. Searched afresh and never kept, since only a request
   * that found no route asks: the hot path never pays for it, and a scan of wrong methods cannot
   * crowd out the answers kept for real traffic.
   */
  methodsServing(path: string, isRoute: (handler: T) => boolean): string[] {
    return ROUTE_METHODS.filter((method) =>
      this.inner.match(method, path)[0].some(([handler]) => isRoute(handler)),
    );
  }
}

function withoutParams<T>(result: Result<T>): boolean {
  // The TrieRouter form: [[handler, params]…]; the RegExpRouter form carries a param stash.
  if (result[1] !== undefined) return false;
  return result[0].every(([, params]) => Object.keys(params).length === 0);
}
