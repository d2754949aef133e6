// env.DB wrapped to count the statements that read api_keys: the D1 lookups a key-lookup limit spares.
import { env } from "cloudflare:workers";

export function countingKeyReadsDb(): { db: D1Database; keyReads: () => number } {
  let reads = 0;
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") {
        return (sql: string) => {
          if (/\bfrom\s+"?api_keys"?/i.test(sql)) reads++;
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, keyReads: () => reads };
}
