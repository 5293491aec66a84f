// The endpoint server on loopback: a busy port is retried (with back-off)
// until it is free, never fatal; the token guards every route; bodies are
// capped; HEAD has no body; errors come in the server's format.

import { createServer } from "node:net";
import { createLogger } from "@exacast/core";
import { afterEach, describe, expect, it } from "vitest";
import type { Clock } from "../../src/clock.js";
import { realClock } from "../../src/clock.js";
import { EndpointServer } from "../../src/endpoint.js";
import { RouteTable } from "../../src/routes.js";

const servers: EndpointServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

function serve(port: number, opts: { token?: string; errors?: "json" | "text"; clock?: Clock } = {}) {
  const logs: string[] = [];
  const routes = new RouteTable()
    .get("/status", "status", () => ({ status: 200, json: { ok: true } }))
    .on("PUT", "/echo", "echo", (r) => ({ status: 200, text: r.body }), { body: true });
  const s = new EndpointServer({ listen: { host: "127.0.0.1", port }, token: opts.token ?? null, errors: opts.errors, maxBody: 1024, ...(opts.clock ? { clock: opts.clock } : {}) }, routes, createLogger({ program: "t", write: (l) => void logs.push(l) }));
  servers.push(s);
  return { s, logs };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

describe("endpoint server", () => {
  it("a busy port is retried until it is free, logged once", async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(port, "127.0.0.1", r));
    // The real clock, counting the retries the server schedules: wait for a few, not for a time.
    let retries = 0;
    const clock: Clock = { ...realClock, setTimeout: (fn, ms, o) => (retries++, realClock.setTimeout(fn, ms, o)) };
    const { s, logs } = serve(port, { clock });
    expect(await s.start()).toBe(false);
    await expect.poll(() => retries, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(logs.filter((l) => l.includes("http_listen_failed"))).toHaveLength(1);
    await new Promise<void>((r) => holder.close(() => r()));
    await expect.poll(() => s.address?.port, { timeout: 6000 }).toBe(port);
    expect(logs.some((l) => / http_listening .*attempts=\d+/.test(l))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/status`)).status).toBe(200);
  });

  it("the token guards every route; bodies over the limit are refused; HEAD has no body", async () => {
    const { s } = serve(0, { token: "s3cret" });
    await s.start();
    const base = `http://127.0.0.1:${s.address!.port}`;
    const auth = { Authorization: "Bearer s3cret" };
    const denied = await fetch(`${base}/status`);
    expect([denied.status, denied.headers.get("www-authenticate"), await denied.json()]).toEqual([401, 'Bearer realm="exacast"', { error: "unauthorized: send Authorization: Bearer <token>" }]);
    expect((await fetch(`${base}/nope`)).status).toBe(401);
    expect(await (await fetch(`${base}/echo`, { method: "PUT", headers: auth, body: "hello" })).text()).toBe("hello");
    expect((await fetch(`${base}/echo`, { method: "PUT", headers: auth, body: "x".repeat(2000) })).status).toBe(413);
    const head = await fetch(`${base}/status`, { method: "HEAD", headers: auth });
    expect([head.status, await head.text(), Number(head.headers.get("content-length"))]).toEqual([200, "", 17]);
  });

  it("refusals as text for a server that asks for text", async () => {
    const { s } = serve(0, { errors: "text" });
    await s.start();
    const base = `http://127.0.0.1:${s.address!.port}`;
    const nf = await fetch(`${base}/nope`);
    expect([nf.status, await nf.text()]).toEqual([404, "not found: try /status or /echo\n"]);
    const post = await fetch(`${base}/status`, { method: "POST", body: "x" });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
  });
});
