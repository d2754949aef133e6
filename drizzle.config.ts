// drizzle-kit: generates the append-only D1 migrations in migrations/ from edge/db/schema.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./edge/db/schema.ts",
  out: "./migrations",
});
