// The HTTP API in process: a Runtime around a real Announcer, its server on
// loopback (port chosen by the kernel), requests with fetch and raw sockets.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { createLogger, isCommandLine } from "@exacast/core";
import { afterEach, describe, expect, it } from "vitest";
import { parsePrometheusText } from "../../../../test/harness/prometheus.js";
import { waitFor } from "../../../../test/harness/wait.js";
import { Announcer } from "../../src/announcer.js";
import { runAppChecks } from "../../src/checks/index.js";
import type { AnnouncerConfig } from "../../src/config.js";
import { loadAnnouncerConfig } from "../../src/config.js";
import { Runtime } from "../../src/runtime.js";
import { realClock } from "@exacast/runtime";

const TOKEN = "t0ken-for-tests";
const auth = { Authorization: `Bearer ${TOKEN}` };

interface Harness {
  base: string;
  written: string[];
  runtime: Runtime;
  announcer: Announcer;
  logs: string[];
  dir: string;
}

const open: Harness[] = [];
afterEach(async () => {
  const all = open.splice(0);
  // Every runtime stopped (its state file written) before any folder goes: two may share one.
  for (const h of all) {
    await h.announcer.shutdown("eof");
    await h.runtime.stop();
  }
  for (const h of all) rmSync(h.dir, { recursive: true, force: true });
});

async function start(extra = "", dir = mkdtempSync(`${tmpdir()}/exacast-api-`)): Promise<Harness> {
  const text = [
    "next_hop: [192.0.2.2, 2001:db8::2]",
    "interval: 50ms",
    "fast_interval: 20ms",
    "rise: 1",
    "fall: 1",
    `http: { listen: "127.0.0.1:9", token: ${TOKEN}, state_file: ${dir}/state.json }`,
    "apps:",
    "  - { name: static, vip: 10.9.9.9/32, ports: [22] }",
    extra,
  ].join("\n");
  const r = loadAnnouncerConfig(text, `${dir}/announcer.yaml`, {}, {});
  if (!r.ok) throw new Error(r.error.join("\n"));
  // Port 0: the kernel picks one (the schema asks for 1..65535).
  const cfg: AnnouncerConfig = { ...r.value, ack: false, http: { ...r.value.http!, listen: { host: "127.0.0.1", port: 0 } } };
  const logs: string[] = [];
  const log = createLogger({ program: "t", level: "debug", write: (l) => logs.push(l) });
  const written: string[] = [];
  const stopped: { runtime?: Runtime } = {};
  const announcer = new Announcer(cfg, {
    clock: realClock,
    random: () => 0,
    log,
    write: (lines) => void written.push(...lines),
    check: (e) => runAppChecks(e.spec.checks, { timeoutMs: 200, app: e.spec.name }),
    loopback: null,
    exit: () => void stopped.runtime?.stop(),
  });
  const runtime = new Runtime(cfg, announcer, null, log, { version: "test" });
  stopped.runtime = runtime;
  announcer.load(cfg.apps);
  await runtime.start();
  const a = runtime.server!.address!;
  const h = { base: `http://127.0.0.1:${a.port}`, written, runtime, announcer, logs, dir };
  open.push(h);
  return h;
}

const put = (h: Harness, name: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${h.base}/v1/apps/${name}`, { method: "PUT", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

/** A raw request, for what fetch will not send (bodies without a length, huge ones). */
function raw(h: Harness, path: string, method: string, chunks: Buffer[], headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.base}${path}`, { method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    (async () => {
      for (const c of chunks) if (!req.destroyed && !req.write(c)) await new Promise((r) => req.once("drain", r));
      req.end();
    })().catch(() => {});
  });
}

describe("HTTP API", () => {
  it("every request needs the bearer token; compared as a whole", async () => {
    const h = await start();
    expect((await fetch(`${h.base}/v1/apps`)).status).toBe(401);
    expect((await fetch(`${h.base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${h.base}/status`, { headers: { Authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    const r = await fetch(`${h.base}/v1/apps`, { headers: { Authorization: `bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { apps: { name: string; source: string }[] }).apps.map((a) => `${a.name}:${a.source}`)).toEqual(["static:config"]);
    expect((await fetch(`${h.base}/v1/apps`)).headers.get("www-authenticate")).toBe('Bearer realm="exacast"');
  });

  it("GET / is the status page: a browser sends the token as Basic's password, prompted by a Basic challenge", async () => {
    const h = await start();
    const bare = await fetch(`${h.base}/`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toBe('Basic realm="exacast", charset="UTF-8"');
    const basic = (pair: string) => ({ Authorization: `Basic ${Buffer.from(pair).toString("base64")}` });
    expect((await fetch(`${h.base}/`, { headers: basic(`admin:${TOKEN}x`) })).status).toBe(401);
    const r = await fetch(`${h.base}/`, { headers: basic(`admin:${TOKEN}`) });
    expect([r.status, r.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
    const page = await r.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain("<b>static</b>");
    // The same password opens the JSON too (a browser sends it on for every path after the prompt).
    expect((await fetch(`${h.base}/status`, { headers: basic(`:${TOKEN}`) })).status).toBe(200);
    expect((await fetch(`${h.base}/`, { method: "HEAD", headers: auth })).status).toBe(200);
    expect((await fetch(`${h.base}/`, { method: "POST", headers: auth })).status).toBe(405);
  });

  it("PUT creates (201), replaces (200) and keeps an unchanged app's state; DELETE withdraws (204)", async () => {
    const h = await start();
    let r = await put(h, "web", { vip: "10.1.1.1/32", ports: [443] });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ result: "created", app: { name: "web", source: "http", vips: ["10.1.1.1/32"], ports: [443] } });
    await waitFor(() => h.written.includes("announce route 10.1.1.1/32 next-hop 192.0.2.2 community [12345:443]"), { what: "the announce", timeout: 3000 });
    r = await put(h, "web", { name: "web", vip: "10.1.1.1/32", ports: [443] });
    expect([r.status, ((await r.json()) as { result: string }).result]).toEqual([200, "unchanged"]);
    r = await put(h, "web", { vip: "10.1.1.1/32", ports: [443, 80] });
    expect([r.status, ((await r.json()) as { result: string }).result]).toEqual([200, "replaced"]);
    await waitFor(() => h.written.includes("announce route 10.1.1.1/32 next-hop 192.0.2.2 community [12345:80 12345:443]"), { what: "the new ports", timeout: 3000 });
    const one = (await (await fetch(`${h.base}/v1/apps/web`, { headers: auth })).json()) as { state: string; checks: unknown[] };
    expect(one).toMatchObject({ state: "UP", serving: true, checks: [] });
    r = await fetch(`${h.base}/v1/apps/web`, { method: "DELETE", headers: auth });
    expect([r.status, await r.text()]).toEqual([204, ""]);
    await waitFor(() => h.written.at(-1) === "withdraw route 10.1.1.1/32 next-hop 192.0.2.2", { what: "the withdraw", timeout: 3000 });
    expect((await fetch(`${h.base}/v1/apps/web`, { method: "DELETE", headers: auth })).status).toBe(404);
    expect(h.written.every(isCommandLine)).toBe(true);
  });

  it("config apps cannot be replaced or deleted (409); bad requests change nothing (400, 404, 405, 413)", async () => {
    const h = await start();
    await waitFor(() => h.written.length === 1, { what: "static announced", timeout: 3000 });
    const before = [...h.written];
    expect((await put(h, "static", { vip: "10.0.0.1/32" })).status).toBe(409);
    expect((await fetch(`${h.base}/v1/apps/static`, { method: "DELETE", headers: auth })).status).toBe(409);
    const bad = await put(h, "web", '{"vip": "10.0.0.1/32", "ports": [443], "extra": true');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: string[] }).problems[0]).toMatch(/^\(root\): invalid JSON/);
    expect((await put(h, "we%0Ab", { vip: "10.0.0.1/32" })).status).toBe(400);
    expect((await put(h, "web%ZZ", { vip: "10.0.0.1/32" })).status).toBe(400);
    expect((await fetch(`${h.base}/v1/nope`, { headers: auth })).status).toBe(404);
    const m = await fetch(`${h.base}/v1/apps/web`, { method: "POST", headers: auth, body: "{}" });
    expect([m.status, m.headers.get("allow")]).toEqual([405, "GET, HEAD, PUT, DELETE"]);
    expect((await fetch(`${h.base}/metrics`, { method: "DELETE", headers: auth })).status).toBe(405);
    const big = Buffer.alloc(64 * 1024 + 1, 0x20);
    expect((await raw(h, "/v1/apps/web", "PUT", [big], { ...auth, "Content-Length": String(big.length) })).status).toBe(413);
    expect((await raw(h, "/v1/apps/web", "PUT", [big.subarray(0, 40_000), big.subarray(40_000)], { ...auth, "Transfer-Encoding": "chunked" })).status).toBe(413);
    expect((await raw(h, "/v1/apps/web", "PUT", [Buffer.from([0x7b, 0xff, 0x7d])], auth)).status).toBe(400);
    expect(h.announcer.registry.get("web")).toBeUndefined();
    expect(h.written).toEqual(before);
  });

  it("GoCast's /register and /unregister", async () => {
    const h = await start();
    const port = Number(new URL(h.base).port);
    let r = await fetch(`${h.base}/register?name=gc&vip=10.2.2.2/32&monitor=port:tcp:${port}&vip_communities=65000:7`, { headers: auth });
    expect([r.status, ((await r.json()) as { result: string }).result]).toEqual([200, "created"]);
    await waitFor(() => h.written.includes(`announce route 10.2.2.2/32 next-hop 192.0.2.2 community [12345:${port} 65000:7]`), { what: "the GoCast app", timeout: 3000 });
    r = await fetch(`${h.base}/register?name=gc&vip=10.2.2.2/32&monitor=port:tcp:${port}&vip_communities=65000:7`, { headers: auth });
    expect(r.status).toBe(200); // GoCast clients register again on a timer: no flap
    r = await fetch(`${h.base}/register?name=x&vip=10.2.2.3/32&monitor=exec:touch%20/tmp/pwned`, { headers: auth });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { problems: string[] }).problems).toEqual([expect.stringMatching(/^monitor\[0\]: exec monitors run a command on this host and are refused/)]);
    expect((await fetch(`${h.base}/unregister?name=gc`, { headers: auth })).status).toBe(200);
    await waitFor(() => h.written.at(-1) === "withdraw route 10.2.2.2/32 next-hop 192.0.2.2", { what: "the withdraw", timeout: 3000 });
    expect(await (await fetch(`${h.base}/unregister?name=gc`, { headers: auth })).json()).toEqual({ result: "not registered", name: "gc" });
    expect((await fetch(`${h.base}/unregister?name=static`, { headers: auth })).status).toBe(409);
  });

  it("state_file: HTTP apps are saved as sent and run again by the next process", async () => {
    const h = await start();
    expect((await put(h, "web", { vip: "10.1.1.1/32", ports: [443] })).status).toBe(201);
    expect((await fetch(`${h.base}/register?name=gc&vip=10.2.2.2/32`, { headers: auth })).status).toBe(200);
    await h.runtime.stop();
    const saved = JSON.parse(readFileSync(`${h.dir}/state.json`, "utf8")) as { version: number; apps: unknown[] };
    expect(saved).toEqual({ version: 1, apps: [{ vip: "10.1.1.1/32", ports: [443], name: "web" }, { name: "gc", vip: "10.2.2.2/32", ports: [], checks: [] }] });
    const next = await start("", h.dir);
    expect([...next.announcer.registry.entries()].map((e) => `${e.spec.name}:${e.spec.source}`).sort()).toEqual(["gc:http", "static:config", "web:http"]);
    expect(next.logs.some((l) => /state_file_loaded .*apps=2/.test(l))).toBe(true);
  });

  it("/metrics parses as Prometheus text and moves with the apps; /status shows the state", async () => {
    const h = await start();
    const scrape = async () => parsePrometheusText(await (await fetch(`${h.base}/metrics`, { headers: auth })).text()).families;
    const value = (f: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string> = {}) =>
      [...f.values()].flatMap((fam) => fam.samples).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    await waitFor(() => h.announcer.snapshot().announced.length === 1, { what: "static announced", timeout: 3000 });
    let f = await scrape();
    expect(value(f, "exacast_announcer_apps", { source: "http" })).toBe(0);
    expect(value(f, "exacast_announcer_vips_announced")).toBe(1);
    expect(value(f, "exacast_announcer_commands_written_total", { command: "announce" })).toBe(1);
    expect(value(f, "exacast_announcer_app_state", { app: "static", state: "UP" })).toBe(1);
    await put(h, "web", { vip: "10.1.1.1/32", ports: [443], checks: [{ tcp: "127.0.0.1:1" }] });
    await waitFor(async () => value(await scrape(), "exacast_announcer_app_state", { app: "web", state: "DOWN" }) === 1, { what: "web DOWN", timeout: 3000 });
    f = await scrape();
    expect(value(f, "exacast_announcer_apps", { source: "http" })).toBe(1);
    expect(value(f, "exacast_announcer_check_results_total", { app: "web", kind: "tcp", result: "fail" })).toBeGreaterThanOrEqual(1);
    expect(value(f, "exacast_announcer_check_duration_seconds_count", { app: "web", kind: "tcp" })).toBeGreaterThanOrEqual(1);
    expect(value(f, "exacast_announcer_http_requests_total", { route: "app", code: "201" })).toBe(1);
    expect(f.get("exacast_announcer_consul_up")).toBeUndefined();
    await fetch(`${h.base}/v1/apps/web`, { method: "DELETE", headers: auth });
    f = await scrape();
    expect(value(f, "exacast_announcer_app_state", { app: "web", state: "DOWN" })).toBeUndefined();
    expect(value(f, "exacast_announcer_check_results_total", { app: "web", kind: "tcp", result: "fail" })).toBeUndefined();
    const status = (await (await fetch(`${h.base}/status`, { headers: auth })).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      program: "exacast-announcer",
      draining: false,
      announced: [{ vip: "10.9.9.9/32", command: "announce route 10.9.9.9/32 next-hop 192.0.2.2 community [12345:22]" }],
      http: { apps: 0, state_file: `${h.dir}/state.json` },
      consul: null,
      apps: [{ name: "static", source: "config", state: "UP" }],
    });
  });
});
