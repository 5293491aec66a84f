// The daemon in process on a fake clock, its files in memory and a fake
// shell: debounced renders, EOF, stale grace, reloads, End-of-RIB. No sleeps:
// time moves when the test moves it, so every "not yet" is exact.

import { createLogger } from "@exacast/core";
import { FakeClock, MemoryFiles } from "@exacast/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { parseListenerConfig } from "../src/config.js";
import { ListenerDaemon } from "../src/daemon.js";
import type { Setup } from "../src/setup.js";
import { compileTemplate } from "../src/template.js";
import { inlineRunner } from "../src/template-runner.js";
import { announce, eor, SHUTDOWN, state, STOPPING, withdraw } from "./exa-lines.js";

const log = createLogger({ program: "test", level: "error", write: () => {} });
const TEMPLATE = "<% for (const [port, ips] of Object.entries(services)) { %><%= port %>: <%= ips.join(' ') %>\n<% } %>";
const OUT = "/lb/out.txt";
const daemons: ListenerDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.finish();
});

function setup(yaml: string, template = TEMPLATE): Setup {
  const c = parseListenerConfig(`templates: [{source: t.ejs, destination: out.txt}]\n${yaml}`, "test.yaml", "/lb");
  if (!c.ok) throw new Error(c.error.join("\n"));
  const t = compileTemplate(template, "/lb/t.ejs");
  if (!t.ok) throw new Error(t.error);
  return { config: c.value, templates: [t.value] };
}

async function daemon(yaml = "debounce: 50ms\nmax_wait: 2s\n", template?: string) {
  const clock = new FakeClock();
  const files = new MemoryFiles();
  const d = new ListenerDaemon(setup(yaml, template), log, { clock, files, templates: inlineRunner, run: () => Promise.reject(new Error("no commands here")) });
  daemons.push(d);
  await d.start();
  const out = () => files.text(OUT);
  /** Renders that installed the template's file. */
  const renders = () => files.written.filter((p) => p === OUT).length;
  return { d, clock, files, out, renders };
}

let n = 0;
const feed = (d: ListenerDaemon, ...lines: string[]) => lines.forEach((l) => d.line(l, ++n));
const route = (p: string, port = 443) => announce({ prefixes: [p], communities: [[12345, port]] });

describe("listener daemon", () => {
  it("100k updates arriving over a second, each before the debounce ends: one render, a debounce after the last", async () => {
    const { d, clock, out, renders } = await daemon("debounce: 200ms\nmax_wait: 10s\n");
    feed(d, state("up"));
    const on443 = Array.from({ length: 1000 }, (_, i) => route(`10.0.${i >> 8}.${i & 255}/32`, 443));
    const on80 = Array.from({ length: 1000 }, (_, i) => route(`10.0.${i >> 8}.${i & 255}/32`, 80));
    for (let k = 0; k < 50; k++) {
      feed(d, ...on443, ...on80); // 2,000 updates, each a change
      await clock.advance(20); // 50 batches 20 ms apart: the burst lasts a second
    }
    expect(d.rib.version).toBeGreaterThan(99_000);
    // 20 ms after the last batch: the debounce (200 ms) has not run out.
    expect(renders()).toBe(0);
    await clock.advance(179);
    expect(renders()).toBe(0);
    await clock.advance(1);
    expect(renders()).toBe(1);
    await clock.advance(60_000);
    expect(renders()).toBe(1);
    expect(out()!.split("\n")[0]).toMatch(/^80: 10\.0\.0\.0\/32 10\.0\.0\.1\/32 /);
    expect(out()).not.toContain("443:");
  });

  it("changes that never stop for a debounce still render every max_wait after the first render", async () => {
    const { d, clock, renders } = await daemon("debounce: 100ms\nmax_wait: 1s\nstartup_wait: 1s\n");
    for (let t = 0; t < 3500; t += 50) {
      feed(d, route(`10.1.0.${(t / 50) % 200}/32`));
      await clock.advance(50);
    }
    // The first at startup_wait, then one every max_wait: at 1 s, 2 s and 3 s.
    expect(renders()).toBe(3);
  });

  it("EOF: the pending render is done before finish() returns", async () => {
    const { d, out } = await daemon("debounce: 10s\nmax_wait: 10s\n");
    feed(d, route("10.0.0.1/32"));
    expect(out()).toBeUndefined();
    await d.finish();
    expect(out()).toBe("443: 10.0.0.1/32\n");
  });

  it("End-of-RIB renders a fresh start's first file even with no services", async () => {
    const { d, clock, out } = await daemon();
    feed(d, state("up"));
    await clock.advance(10_000);
    expect(out()).toBeUndefined(); // session up alone: wait for the table
    feed(d, eor());
    await clock.advance(50);
    expect(out()).toBe("");
  });

  it("stale_grace keeps a neighbor's routes after down; re-learned ones stay, the rest go when it ends", async () => {
    const { d, clock, out } = await daemon("debounce: 10ms\nstale_grace: 400ms\n");
    feed(d, route("10.0.0.1/32"), route("10.0.0.2/32"));
    await clock.advance(10);
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    feed(d, state("down"), state("connected"), state("up"), route("10.0.0.1/32"));
    await clock.advance(399);
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    await clock.advance(11);
    expect(out()).toBe("443: 10.0.0.1/32\n");
  });

  it("stale_grace: a second loss before the first grace ends does not take the routes re-learned in between", async () => {
    // Found looking into the chaos test (see rib.test.ts): one backend gone for good, then
    // a route-server restart shortly before the grace of the first one ended.
    const { d, clock, out } = await daemon("debounce: 10ms\nstale_grace: 600ms\n");
    feed(d, route("10.0.0.1/32"), route("10.0.0.2/32"));
    await clock.advance(10);
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    feed(d, state("down"), state("up"), route("10.0.0.1/32"));
    await clock.advance(400);
    feed(d, state("down"), state("up"));
    // The first grace ends at 600 ms: 10.0.0.2 goes; 10.0.0.1, stale only since the second loss, stays.
    await clock.advance(199);
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    await clock.advance(11);
    expect(out()).toBe("443: 10.0.0.1/32\n");
    expect(d.rib.neighborSummaries()).toEqual([{ address: "127.0.0.1", state: "up", routes: 1, stale: 1 }]);
    // Its own grace ends (at 1,000 ms) without it being re-sent: it goes too.
    await clock.advance(400);
    expect(out()).toBe("");
  });

  it("stale_grace: a route server withdrawing routes on its way down does not empty the file", async () => {
    // GoBGP stopping: other peers' routes withdrawn, then our session closed.
    const { d, clock, out, renders } = await daemon("debounce: 50ms\nstale_grace: 500ms\n");
    feed(d, route("10.0.0.1/32"), route("10.0.0.2/32"));
    await clock.advance(50);
    expect(out()).toBe("443: 10.0.0.1/32 10.0.0.2/32\n");
    feed(d, withdraw(["10.0.0.1/32"]), state("down"));
    await clock.advance(200);
    expect([out(), renders()]).toEqual(["443: 10.0.0.1/32 10.0.0.2/32\n", 1]);
    feed(d, state("up"), route("10.0.0.1/32"), route("10.0.0.2/32"));
    await clock.advance(600);
    expect([out(), renders()]).toEqual(["443: 10.0.0.1/32 10.0.0.2/32\n", 1]);
    // A withdrawal with no loss after it is a withdrawal.
    feed(d, withdraw(["10.0.0.1/32"]));
    await clock.advance(50);
    expect(out()).toBe("443: 10.0.0.2/32\n");
  });

  it("when ExaBGP stops, the file keeps its routes (its sessions' downs are not a loss of services)", async () => {
    const { d, clock, out } = await daemon("debounce: 10ms\n");
    feed(d, route("10.0.0.1/32"));
    await clock.advance(10);
    expect(out()).toBe("443: 10.0.0.1/32\n");
    feed(d, state("down", "127.0.0.1", STOPPING), SHUTDOWN);
    await d.finish();
    expect(out()).toBe("443: 10.0.0.1/32\n");
    expect(d.rib.neighborSummaries()).toEqual([{ address: "127.0.0.1", state: "down", routes: 1, stale: 1 }]);
  });

  it("reload switches templates and timings and renders at once; a new community_asn is refused", async () => {
    const { d, clock, out } = await daemon();
    feed(d, route("10.0.0.1/32"));
    await clock.advance(50);
    expect(out()).toBe("443: 10.0.0.1/32\n");
    expect(await d.reload(setup("community_asn: 1\n"))).toEqual([expect.stringContaining("community_asn cannot change on reload")]);
    expect(await d.reload(setup("debounce: 5ms\n", "v2 <%= ports.join(',') %>\n"))).toEqual([]);
    await clock.advance(5);
    expect(out()).toBe("v2 443\n");
  });

  it("the state file follows the map; a full disk is logged once, the recovery when it takes the file", async () => {
    const lines: Record<string, unknown>[] = [];
    const clock = new FakeClock();
    const files = new MemoryFiles();
    const jsonLog = createLogger({ program: "t", format: "json", write: (l) => void lines.push(JSON.parse(l)) });
    const d = new ListenerDaemon(setup("debounce: 10ms\nstate_file: /lb/state.json\n"), jsonLog, { clock, files, templates: inlineRunner });
    daemons.push(d);
    files.refuse.set("/lb/state.json", "ENOSPC: no space left on device");
    for (let i = 1; i <= 5; i++) {
      feed(d, route(`10.0.0.${i}/32`));
      await clock.advance(10);
    }
    expect(lines.filter((l) => l.event === "state_file_failed")).toHaveLength(1);
    files.refuse.clear();
    feed(d, route("10.0.0.9/32"));
    await clock.advance(10);
    expect(JSON.parse(files.text("/lb/state.json")!).services[443]).toHaveLength(6);
    expect(lines.filter((l) => l.event === "state_file_recovered")).toEqual([expect.objectContaining({ failures: 5, file: "/lb/state.json" })]);
  });

  it("malformed lines: 20 logged a minute, then a count", async () => {
    const lines: Record<string, unknown>[] = [];
    const clock = new FakeClock();
    const d = new ListenerDaemon(setup(""), createLogger({ program: "t", format: "json", write: (l) => void lines.push(JSON.parse(l)) }), { clock, files: new MemoryFiles(), templates: inlineRunner });
    daemons.push(d);
    for (let i = 0; i < 50; i++) feed(d, "not json");
    expect(lines.filter((l) => l.event === "line_skipped")).toHaveLength(20);
    await clock.advance(60_000);
    feed(d, "not json");
    expect(lines.filter((l) => l.event === "lines_not_logged")).toEqual([expect.objectContaining({ count: 30 })]);
  });
});
