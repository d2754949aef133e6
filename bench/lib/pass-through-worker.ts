// bench:edge control: a Hono Worker that forwards each request unchanged to the origin and does nothing else.
import { Hono } from "hono";

type ControlEnv = { Bindings: { ORIGIN_URL: string } };

const app = new Hono<ControlEnv>();

// Same path, method, headers (the client's signature) and streamed body; the origin's answer as is.
app.all("*", (c) => fetch(new Request(`${c.env.ORIGIN_URL}${c.req.path}`, c.req.raw)));

export default app;
