// The daemon keeping its table whole, on a fake clock with files in memory:
// a restart starts warm from the snapshot and renders only once the peers
// sent their routes again; max_routes asks again once there is room; a failed
// write is tried again without a route change.

import { createLogger } from "@exacast/core";
import { FakeClock, MemoryFiles } from "@exacast/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { parseListenerConfig } from "../src/config.js";
import { ListenerDaemon } from "../src/daemon.js";
import { QUIET_MS } from "../src/relearn.js";
import { RETRY_FIRST_MS } from "../src/render-retry.js";
import { compileTemplate } from "../src/template.js";
import { inlineRunner } from "../src/template-runner.js";
import { announce, state, withdraw } from "./exa-lines.js";

const TEMPLATE = "<% for (const p of ports) { %><%= p %>: <%= services[p].join(' ') %>\n<% } %>";
const OUT = "/lb/out.txt";
const RIB = "/lb/state.rib.json";
const PEER = "127.0.0.1";
const daemons: ListenerDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.finish();
});

async function daemon(yaml: string, files = new MemoryFiles(), clock = new FakeClock(), alive?: (pid: number) => boolean) {
  const c = parseListenerConfig(`templates: [{source: t.ejs, destination: out.txt}]\nstate_file: state.json\ndebounce: 50ms\n${yaml}`, "t.yaml", "/lb");
  if (!c.ok) throw new Error(c.error.join("\n"));
  const t = compileTemplate(TEMPLATE, "/lb/t.ejs");
  if (!t.ok) throw new Error(t.error);
  const sent: string[] = [];
  const logs: { level: string; event: string; [k: string]: unknown }[] = [];
  const log = createLogger({ program: "t", format: "json", level: "info", write: (l) => void logs.push(JSON.parse(l)) });
  const d = new ListenerDaemon({ config: c.value, templates: [t.value] }, log, { clock, files, templates: inlineRunner, send: (l) => void sent.push(l), ...(alive ? { alive } : {}) });
  daemons.push(d);
  let done = false;
  const started = d.start().then(() => void (done = true));
  // A predecessor's snapshot is waited for on the clock: move it while start() waits.
  if (alive) for (let i = 0; i < 200 && !done; i++) await clock.advance(50);
  await started;
  let n = 0;
  const feed = (...lines: string[]) => lines.forEach((l) => d.line(l, ++n));
  // Without a snapshot every neighbor is asked: a fresh ExaBGP has none established yet.
  if (sent[0] === "announce route-refresh ipv4 unicast") feed("error", "error");
  return { d, clock, files, sent, logs, feed, out: () => files.text(OUT) };
}

const route = (p: string, port = 443) => announce({ prefixes: [p], communities: [[12345, port]] });

describe("the table across a restart", () => {
  it("starts warm from the snapshot, renders nothing until the refresh is over, then drops what was not sent again", async () => {
    const files = new MemoryFiles();
    const first = await daemon("", files);
    first.feed(state("up"), route("10.0.0.1/32"), route("10.0.0.2/32"), route("10.0.0.3/32"));
    first.feed('{ "exabgp": "4.0.1", "time": 1, "type": "negotiated", "neighbor": { "address": { "local": "127.0.0.3", "peer": "127.0.0.1" }, "negotiated": { "refresh": "normal", "families": [ "ipv4 unicast" ] } } }');
    await first.clock.advance(100);
    expect(first.out()).toBe("443: 10.0.0.1/32 10.0.0.2/32 10.0.0.3/32\n");
    expect(files.text(RIB)).toContain('"10.0.0.3/32"');
    daemons.splice(0); // killed: no finish()

    const files2 = new MemoryFiles();
    files2.files.set(RIB, files.files.get(RIB)!);
    files2.files.set(OUT, files.files.get(OUT)!);
    const second = await daemon("", files2);
    expect(second.sent).toEqual([`neighbor ${PEER} announce route-refresh ipv4 unicast`]);
    expect(second.d.rib.size).toBe(3);
    expect(second.d.status().table).toMatchObject({ complete: false });
    // The first change after the restart: one route withdrawn. Nothing renders yet.
    second.feed("done", withdraw(["10.0.0.2/32"]));
    await second.clock.advance(200);
    expect(files2.written).toEqual([]);
    // The refresh brings back what is still there: 10.0.0.1 and 10.0.0.3 (10.0.0.2 went meanwhile).
    second.feed(route("10.0.0.1/32"), route("10.0.0.3/32"));
    await second.clock.advance(QUIET_MS + 100);
    expect(second.out()).toBe("443: 10.0.0.1/32 10.0.0.3/32\n");
    expect(second.d.status().table).toMatchObject({ complete: true, refreshing: [], blind: [] });
    expect(second.logs.find((l) => l.event === "snapshot_loaded")).toMatchObject({ neighbors: 1, routes: 3 });
  });

  it("a snapshot route the refresh does not bring back is dropped, and only then is the file rendered", async () => {
    const files = new MemoryFiles();
    const first = await daemon("", files);
    first.feed(state("up"), route("10.0.0.1/32"), route("10.0.0.2/32"));
    await first.clock.advance(100);
    daemons.splice(0);
    const second = await daemon("", files);
    second.feed("done", "done", route("10.0.0.1/32"));
    await second.clock.advance(QUIET_MS + 100);
    expect(second.out()).toBe("443: 10.0.0.1/32\n");
    expect(second.logs.find((l) => l.event === "refresh_complete")).toMatchObject({ stale_routes_removed: 1 });
  });

  it("a predecessor still running is waited for: its last snapshot (written at a clean exit) is trusted, nothing held", async () => {
    const files = new MemoryFiles();
    const first = await daemon("", files);
    first.feed(state("up"), route("10.0.0.1/32"), route("10.0.0.2/32"));
    await first.clock.advance(100);
    const running = JSON.parse(files.text(RIB)!);
    files.files.set(RIB, { text: JSON.stringify({ ...running, pid: 4242 }), mode: 0o644 });
    // It writes its last snapshot 300 ms after the new one started.
    const clock = new FakeClock();
    let exitedAt: number | undefined;
    clock.setTimeout(() => {
      files.files.set(RIB, { text: JSON.stringify({ ...running, pid: 4242, final: true }), mode: 0o644 });
      exitedAt = clock.now();
    }, 300);
    const second = await daemon("", files, clock, () => exitedAt === undefined);
    expect(second.logs.find((l) => l.event === "snapshot_wait")).toMatchObject({ pid: 4242 });
    expect(second.logs.find((l) => l.event === "snapshot_loaded")).toMatchObject({ final: true, routes: 2 });
    expect(second.d.status().table.complete).toBe(true);
    await first.d.finish();
    daemons.splice(0);
  });

  it("finish() writes a final snapshot; a kill -9 leaves the last one written after a render (not final)", async () => {
    const files = new MemoryFiles();
    const d = await daemon("", files);
    d.feed(state("up"), route("10.0.0.1/32"));
    await d.clock.advance(100);
    expect(JSON.parse(files.text(RIB)!)).toMatchObject({ final: false, pid: process.pid });
    await d.d.finish();
    daemons.splice(0);
    expect(JSON.parse(files.text(RIB)!)).toMatchObject({ final: true });
  });

  it("an unreadable snapshot is said and ignored: everyone is asked instead", async () => {
    const files = new MemoryFiles();
    files.files.set(RIB, { text: "{ torn", mode: 0o644 });
    const d = await daemon("", files);
    expect(d.logs.find((l) => l.event === "snapshot_unreadable")).toMatchObject({ level: "error", error: expect.stringMatching(/^not JSON/) });
    expect(d.sent).toEqual(["announce route-refresh ipv4 unicast", "announce route-refresh ipv6 unicast"]);
  });
});

describe("max_routes", () => {
  it("refused routes are asked for again once withdrawals make room; a metric while over", async () => {
    const d = await daemon("max_routes: 2");
    d.feed(state("up"), route("10.0.0.1/32"), route("10.0.0.2/32"), route("10.0.0.3/32"));
    expect(d.d.rib.size).toBe(2);
    expect(d.logs.filter((l) => l.event === "max_routes_reached")).toEqual([expect.objectContaining({ level: "error", neighbor: PEER, prefix: "10.0.0.3/32", max_routes: 2 })]);
    expect(d.d.metrics.render()).toContain("exacast_listener_max_routes_reached 1");
    d.feed(withdraw(["10.0.0.1/32"]));
    expect(d.sent.slice(2)).toEqual([`neighbor ${PEER} announce route-refresh ipv4 unicast`]);
    // The neighbor sends everything again; 10.0.0.3 now fits.
    d.feed("done", route("10.0.0.2/32"), route("10.0.0.3/32"));
    await d.clock.advance(QUIET_MS + 100);
    expect(d.out()).toBe("443: 10.0.0.2/32 10.0.0.3/32\n");
    expect(d.d.metrics.render()).toContain("exacast_listener_max_routes_reached 0");
  });

  it("while the limit keeps being hit, asking again backs off (1 s, 2 s, 4 s…)", async () => {
    const d = await daemon("max_routes: 1");
    d.feed(state("up"), route("10.0.0.1/32"), route("10.0.0.2/32"));
    const asked: number[] = [];
    // Each round: room is made, the neighbor is asked, sends both routes again, one is refused.
    for (let round = 0; round < 4; round++) {
      const before = d.sent.length;
      d.feed(withdraw(["10.0.0.1/32"]));
      for (let waited = 0; d.sent.length === before && waited < 10_000; waited += 50) await d.clock.advance(50);
      asked.push(d.clock.now());
      d.feed("done", route("10.0.0.1/32"), route("10.0.0.2/32"));
      await d.clock.advance(QUIET_MS + 50);
    }
    const gaps = asked.slice(1).map((t, i) => t - asked[i]!);
    expect(gaps[0]).toBeLessThan(gaps[1]!);
    expect(gaps[1]).toBeLessThan(gaps[2]!);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000);
    expect(d.logs.filter((l) => l.event === "max_routes_reached")).toHaveLength(1);
  });
});

describe("failed writes", () => {
  it("are tried again after a back-off, with no route change", async () => {
    const d = await daemon("");
    d.files.refuse.set(OUT, "EROFS: read-only file system");
    d.feed(state("up"), route("10.0.0.1/32"));
    await d.clock.advance(100);
    expect(d.out()).toBeUndefined();
    d.files.refuse.clear();
    await d.clock.advance(RETRY_FIRST_MS + 100);
    expect(d.out()).toBe("443: 10.0.0.1/32\n");
  });
});
