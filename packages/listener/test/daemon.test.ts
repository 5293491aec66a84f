// The daemon in-process, with real timers and files: debounced renders, EOF,
// stale grace, reloads, End-of-RIB, and the HTTP endpoints.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import { parseListenerConfig } from "../src/config.js";
import { ListenerDaemon } from "../src/daemon.js";
import type { Setup } from "../src/setup.js";
import { compileTemplate } from "../src/template.js";
import { announce, eor, SHUTDOWN, state, STOPPING, withdraw } from "./exa-lines.js";

const log = createLogger({ program: "test", level: "error", write: () => {} });
const TEMPLATE = "<% for (const [port, ips] of Object.entries(services)) { %><%= port %>: <%= ips.join(' ') %>\n<% } %>";
const daemons: ListenerDaemon[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.finish();
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(dir: string, yaml: string, template = TEMPLATE): Setup {
  writeFileSync(`${dir}/t.ejs`, template);
  const c = parseListenerConfig(`templates: [{source: t.ejs, destination: out.txt}]\n${yaml}`, "test.yaml", dir);
  if (!c.ok) throw new Error(c.error.join("\n"));
  const t = compileTemplate(template, `${dir}/t.ejs`);
  if (!t.ok) throw new Error(t.error);
  return { config: c.value, templates: [t.value] };
}

async function daemon(yaml = "debounce: 50ms\nmax_wait: 2s\n", template?: string) {
  const dir = mkdtempSync(`${tmpdir()}/exacast-daemon-`);
  dirs.push(dir);
  const d = new ListenerDaemon(setup(dir, yaml, template), log);
  daemons.push(d);
  await d.start();
  const out = () => (existsSync(`${dir}/out.txt`) ? readFileSync(`${dir}/out.txt`, "utf8") : undefined);
  return { d, dir, out };
}

async function until<T>(probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

let n = 0;
const feed = (d: ListenerDaemon, ...lines: string[]) => lines.forEach((l) => d.line(l, ++n));

describe("listener daemon", () => {
  it("a burst of 100k updates inside one debounce window renders once, with the final state", async () => {
    const { d, out } = await daemon("debounce: 200ms\nmax_wait: 10s\n");
    feed(d, state("up"));
    const lines = Array.from({ length: 1000 }, (_, i) => announce({ prefixes: [`10.0.${i >> 8}.${i & 255}/32`], communities: [[12345, 443]] }));
    const moved = Array.from({ length: 1000 }, (_, i) => announce({ prefixes: [`10.0.${i >> 8}.${i & 255}/32`], communities: [[12345, 80]] }));
    for (let k = 0; k < 50; k++) feed(d, ...lines, ...moved); // 100k updates, each a change
    expect(d.rib.version).toBeGreaterThan(99_000);
    await until(() => d.renders === 1 && out());
    await new Promise((r) => setTimeout(r, 400));
    expect(d.renders).toBe(1);
    expect(out()!.split("\n")[0]).toMatch(/^80: 10\.0\.0\.0\/32 10\.0\.0\.1\/32 /);
    expect(out()).not.toContain("443:");
  });

  it("EOF: the pending render is done before finish() returns", async () => {
    const { d, out } = await daemon("debounce: 10s\nmax_wait: 10s\n");
    feed(d, announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    expect(out()).toBeUndefined();
    await d.finish();
    expect(out()).toBe("443: 10.0.0.1/32\n");
  });

  it("End-of-RIB renders a fresh start's first file even with no services", async () => {
    const { d, out } = await daemon();
    feed(d, state("up"));
    await new Promise((r) => setTimeout(r, 150));
    expect(out()).toBeUndefined(); // session up alone: wait for the table
    feed(d, eor());
    await until(() => out() !== undefined);
    expect(out()).toBe("");
  });

  it("stale_grace keeps a neighbor's routes after down; re-learned ones stay, the rest go when it ends", async () => {
    const { d, out } = await daemon("debounce: 10ms\nstale_grace: 400ms\n");
    feed(
      d,
      announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }),
      announce({ prefixes: ["10.0.0.2/32"], communities: [[12345, 443]] }),
    );
    await until(() => out() === "443: 10.0.0.1/32 10.0.0.2/32\n");
    feed(d, state("down"), state("connected"), state("up"), announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    await new Promise((r) => setTimeout(r, 200));
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    await until(() => out() === "443: 10.0.0.1/32\n");
  });

  it("stale_grace: a second loss before the first grace ends does not take the routes re-learned in between", async () => {
    // Found looking into the chaos test (see rib.test.ts): one backend gone for good, then
    // a route-server restart shortly before the grace of the first one ended.
    const { d, out } = await daemon("debounce: 10ms\nstale_grace: 600ms\n");
    feed(
      d,
      announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }),
      announce({ prefixes: ["10.0.0.2/32"], communities: [[12345, 443]] }),
    );
    await until(() => out() === "443: 10.0.0.1/32 10.0.0.2/32\n");
    const t0 = Date.now();
    feed(d, state("down"), state("up"), announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    await new Promise((r) => setTimeout(r, 400));
    feed(d, state("down"), state("up"));
    // The first grace ends: 10.0.0.2 goes; 10.0.0.1, stale only since the second loss, stays.
    await until(() => out() === "443: 10.0.0.1/32\n", 2000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(d.rib.neighborSummaries()).toEqual([{ address: "127.0.0.1", state: "up", routes: 1, stale: 1 }]);
    // Its own grace ends without it being re-sent: it goes too.
    await until(() => out() === "", 2000);
  });

  it("stale_grace: a route server withdrawing routes on its way down does not empty the file", async () => {
    // GoBGP stopping: other peers' routes withdrawn, then our session closed.
    const { d, out } = await daemon("debounce: 50ms\nstale_grace: 500ms\n");
    feed(
      d,
      announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }),
      announce({ prefixes: ["10.0.0.2/32"], communities: [[12345, 443]] }),
    );
    await until(() => out() === "443: 10.0.0.1/32 10.0.0.2/32\n");
    const renders = d.renders;
    feed(d, withdraw(["10.0.0.1/32"]), state("down"));
    await new Promise((r) => setTimeout(r, 200));
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    expect(d.renders).toBe(renders);
    feed(d, state("up"), announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }), announce({ prefixes: ["10.0.0.2/32"], communities: [[12345, 443]] }));
    await new Promise((r) => setTimeout(r, 600));
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    // A withdrawal with no loss after it is a withdrawal.
    feed(d, withdraw(["10.0.0.1/32"]));
    await until(() => out() === "443: 10.0.0.2/32\n");
  });

  it("when ExaBGP stops, the file keeps its routes (its sessions' downs are not a loss of services)", async () => {
    const { d, out } = await daemon("debounce: 10ms\n");
    feed(d, announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    await until(() => out() === "443: 10.0.0.1/32\n");
    feed(d, state("down", "127.0.0.1", STOPPING), SHUTDOWN);
    await d.finish();
    expect(out()).toBe("443: 10.0.0.1/32\n");
    expect(d.rib.neighborSummaries()).toEqual([{ address: "127.0.0.1", state: "down", routes: 1, stale: 1 }]);
  });

  it("reload switches templates and timings and renders at once; a new community_asn is refused", async () => {
    const { d, dir, out } = await daemon();
    feed(d, announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    await until(() => out() === "443: 10.0.0.1/32\n");
    expect(await d.reload(setup(dir, "community_asn: 1\n"))).toEqual([expect.stringContaining("community_asn cannot change on reload")]);
    expect(await d.reload(setup(dir, "debounce: 5ms\n", "v2 <%= ports.join(',') %>\n"))).toEqual([]);
    await until(() => out() === "v2 443\n");
  });

  it("serves /metrics, /status and the status page on loopback; other paths 404, other methods 405", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { d, out } = await daemon(`debounce: 10ms\nstale_grace: 30s\nhttp: { listen: "127.0.0.1:${port}" }\n`);
    const base = `http://127.0.0.1:${port}`;
    feed(d, state("up"), announce({ prefixes: ["10.0.0.1/32", "10.0.0.2/32"], communities: [[12345, 443], [12345, 80]] }), "junk");
    await until(() => out());
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('exacast_listener_routes{neighbor="127.0.0.1"} 2');
    expect(metrics).toContain('exacast_listener_service_prefixes{port="443"} 2');
    expect(metrics).toContain('exacast_listener_service_backends{port="80"} 2');
    expect(metrics).toContain('exacast_listener_neighbor_up{neighbor="127.0.0.1"} 1');
    expect(metrics).toContain('exacast_listener_lines_rejected_total{reason="not_json"} 1');
    expect(metrics).toContain('exacast_listener_renders_total{template="t.ejs",result="written"} 1');
    expect(metrics).toMatch(/exacast_listener_render_duration_seconds_count\{template="t\.ejs"\} 1/);
    feed(d, withdraw(["10.0.0.2/32"]));
    const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      services: { 80: ["10.0.0.1/32"], 443: ["10.0.0.1/32"] },
      ports: [80, 443],
      neighbors: [{ address: "127.0.0.1", state: "up", routes: 1, stale: 0 }],
    });
    expect((status.neighbors as { since: string }[])[0]!.since).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    // The status page, and a session loss under stale_grace: the routes kept, with the grace left.
    feed(d, state("down"));
    const stale = ((await (await fetch(`${base}/status`)).json()) as { stale: { neighbor: string; prefix: string; path_id: number; until: string }[] }).stale;
    // 10.0.0.2 too: withdrawn within a second of the loss, it counts as part of it.
    expect(stale.map((x) => x.prefix).sort()).toEqual(["10.0.0.1/32", "10.0.0.2/32"]);
    expect(stale[0]).toEqual({ neighbor: "127.0.0.1", prefix: expect.any(String), path_id: 0, until: expect.any(String) });
    const left = Date.parse(stale[0]!.until) - Date.now();
    expect(left).toBeGreaterThan(20_000);
    expect(left).toBeLessThanOrEqual(30_000);
    const page = await fetch(`${base}/`);
    expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
    expect(await page.text()).toMatch(/10\.0\.0\.1<span class="muted">\/32<\/span>.*stale, (29|30)s left/s);
    const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
