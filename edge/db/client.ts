// The drizzle handle over the D1 binding, typed with the schema, built once per binding and isolate.
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Database = DrizzleD1Database<typeof schema>;

/** drizzle() walks the whole schema to build its relational config: too much to redo per request.
 *  The handle holds nothing request-scoped (the binding lives as long as the isolate). */
const handles = new WeakMap<D1Database, Database>();

export function openDatabase(d1: D1Database): Database {
  let db = handles.get(d1);
  if (db === undefined) {
    db = drizzle(d1, { schema });
    handles.set(d1, db);
  }
  return db;
}
