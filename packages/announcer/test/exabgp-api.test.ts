// Which API ExaBGP takes, learnt by the announcer itself: from ExaBGP's events
// (text only in v4; the JSON format version), from its answers (`done`
// confirms, a first `error` makes the other form be tried), or set by
// exabgp_api. Pure channel first, then the announcer on a fake clock against
// fake ExaBGPs that answer as 4.2/5.0 and 6 (API v6 and v4) do.

import { createLogger } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { describe, expect, it } from "vitest";
import type { AnnouncerSettings } from "../src/announcer.js";
import { Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { ExaBgpChannel, classifyLine } from "../src/channel.js";
import { loadAnnouncerConfig } from "../src/config.js";
import stdin50 from "../../../test/fixtures/exabgp-5.0-gobgp-announcer-stdin.txt?raw";
import stdinMain4 from "../../../test/fixtures/exabgp-main-api4-gobgp-announcer-stdin.txt?raw";
import stdinMain6 from "../../../test/fixtures/exabgp-main-api6-gobgp-announcer-stdin.txt?raw";

const route = (n: number, verb = "announce") => `${verb} route 10.0.0.${n}/32 next-hop self`;
const A = route(1);
const B = route(2);
const C = route(3);
const v6 = (l: string) => `peer * ${l}`;
const json = (version: string, state = "up") =>
  `{ "exabgp": "${version}", "time": 1.0, "host" : "h", "pid" : 1, "ppid" : 1, "counter": 1, "type": "state", "neighbor": { "address": { "local": "127.0.0.2", "peer": "127.0.0.1" }, "asn": { "local": 65000, "peer": 64999 }, "router-id": "127.0.0.2" , "state": "${state}" } }`;

describe("what ExaBGP's lines say about its API", () => {
  // What ExaBGP wrote to a text-encoder process (test/fixtures), imported as text.
  it.each([
    ["ExaBGP 5.0", stdin50, 4],
    ["ExaBGP 6 with exabgp.api.version=4", stdinMain4, 4],
    ["ExaBGP 6 (API v6)", stdinMain6, 6],
  ])("%s (captured): every neighbor event says API v%s", (_v, text, api) => {
    const seen = text.split("\n").filter(Boolean).map(classifyLine);
    const events = seen.filter((m) => m.kind === "neighbor");
    expect(events.length).toBeGreaterThan(2);
    expect(events.every((m) => m.kind === "neighbor" && m.api === api)).toBe(true);
    expect(seen.filter((m) => m.kind === "ack").length).toBe(9);
  });

  it("ExaBGP 6's `error: why` before `error` is a detail, not an answer", () => {
    expect(classifyLine("error: unknown command")).toEqual({ kind: "error-detail", message: "unknown command" });
    expect(classifyLine("error")).toEqual({ kind: "ack", ok: false });
  });

  it("JSON: format 6.x is API v6, 4.0.1 and 5.0.0 are API v4", () => {
    expect(classifyLine(json("6.0.0"))).toMatchObject({ kind: "neighbor", api: 6 });
    expect(classifyLine(json("7.1.0"))).toMatchObject({ kind: "neighbor", api: 6 });
    expect(classifyLine(json("5.0.0"))).toMatchObject({ kind: "neighbor", api: 4 });
    expect(classifyLine(json("4.0.1"))).toMatchObject({ kind: "neighbor", api: 4 });
    expect(classifyLine(json("six"))).not.toHaveProperty("api");
  });
});

describe("ExaBgpChannel: API auto", () => {
  const ch = (ack = true) => new ExaBgpChannel({ ack, ackTimeout: 5000 });

  it("ExaBGP 6's default: the first `error` makes the same command be written as `peer * …`, `done` settles it", () => {
    const c = ch();
    expect(c.send("a", A, 0)).toEqual([A]);
    expect(c.send("b", B, 0)).toEqual([]);
    const r = c.ack(false, 1);
    expect(r).toMatchObject({ ok: false, retried: true, writes: [v6(A)] });
    expect(c.apiKnown).toBeNull();
    expect(c.ack(true, 2)).toMatchObject({ ok: true, command: { line: A, written: v6(A), api: 6 }, writes: [v6(B)] });
    expect(c.apiKnown).toEqual({ api: 6, from: "done" });
    // Known now: an error is a refusal.
    expect(c.ack(false, 3)).toMatchObject({ ok: false, retried: false, command: { line: B } });
  });

  it("ExaBGP 4.2 / 5.0 / 6 with API v4: `done` at once settles v4; a later `error` is a refusal", () => {
    const c = ch();
    c.send("a", A, 0);
    expect(c.ack(true, 1).command?.written).toBe(A);
    expect(c.apiKnown).toEqual({ api: 4, from: "done" });
    c.send("b", B, 2);
    expect(c.ack(false, 3)).toMatchObject({ retried: false, writes: [] });
  });

  it("a command refused in both forms is refused; the API stays unknown and the next command starts from v6", () => {
    const c = ch();
    c.send("a", A, 0);
    c.send("b", B, 0);
    expect(c.ack(false, 1).writes).toEqual([v6(A)]);
    expect(c.ack(false, 2)).toMatchObject({ retried: false, command: { line: A, refusedIn: [4] }, writes: [v6(B)] });
    expect(c.apiKnown).toBeNull();
    expect(c.ack(false, 3)).toMatchObject({ retried: true, writes: [B] });
    expect(c.ack(true, 4).command?.written).toBe(B);
    expect(c.apiKnown).toEqual({ api: 4, from: "done" });
  });

  it("a newer command for the route while the old one was refused: only the newer one is written, in the other form", () => {
    const c = ch();
    c.send("a", A, 0);
    c.send("a", route(9), 0);
    expect(c.ack(false, 1)).toMatchObject({ retried: true, writes: [v6(route(9))] });
  });

  it("ExaBGP 6's JSON before any command: the first command is already in v6's form", () => {
    const c = ch();
    expect(c.heard(6, 0)).toEqual([]);
    expect(c.apiKnown).toEqual({ api: 6, from: "events" });
    expect(c.send("a", A, 1)).toEqual([v6(A)]);
  });

  it("a text event settles v4; ExaBGP's later lines do not move a known API", () => {
    const c = ch();
    c.heard(4, 0);
    c.heard(6, 1);
    expect(c.send("a", A, 2)).toEqual([A]);
    expect(c.ack(false, 3).retried).toBe(false);
  });

  it("an event saying v6 while a v4 command waits: its `error` sends it again in v6's form", () => {
    const c = ch();
    c.send("a", A, 0);
    c.send("b", B, 0);
    c.heard(6, 1);
    expect(c.ack(false, 2)).toMatchObject({ retried: true, writes: [v6(A)] });
    expect(c.ack(true, 3).writes).toEqual([v6(B)]);
  });

  it("no acks: what was written in v4's form is written again, newest per route, once ExaBGP 6's JSON is seen", () => {
    const c = ch(false);
    expect(c.send("a", A, 0)).toEqual([A]);
    expect(c.send("b", B, 0)).toEqual([B]);
    expect(c.send("a", route(9), 0)).toEqual([route(9)]);
    expect(c.heard(6, 1)).toEqual([v6(route(9)), v6(B)]);
    expect(c.send("c", C, 2)).toEqual([v6(C)]);
    expect(c.heard(4, 3)).toEqual([]);
  });

  it("no acks, ExaBGP 4.x's text event: nothing is written twice", () => {
    const c = ch(false);
    c.send("a", A, 0);
    expect(c.heard(4, 1)).toEqual([]);
    expect(c.apiKnown).toEqual({ api: 4, from: "events" });
  });
});

describe("ExaBgpChannel: API set by exabgp_api", () => {
  it("6: `peer *` from the first command, whatever ExaBGP's lines say; errors are refusals", () => {
    const c = new ExaBgpChannel({ ack: true, ackTimeout: 5000, api: 6 });
    expect(c.apiKnown).toEqual({ api: 6, from: "config" });
    c.heard(4, 0);
    expect(c.send("a", A, 0)).toEqual([v6(A)]);
    expect(c.ack(false, 1)).toMatchObject({ retried: false, writes: [] });
  });

  it("4: the v4 form even when ExaBGP's JSON says 6", () => {
    const c = new ExaBgpChannel({ ack: false, ackTimeout: 5000, api: 4 });
    c.heard(6, 0);
    expect(c.send("a", A, 0)).toEqual([A]);
  });
});

// -- the announcer against fake ExaBGPs, on a fake clock ---------------------

const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
const FAIL: AppCheckResult = { pass: false, disabled: false, results: [], reason: "down" };
const V4_LINE = "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]";

/** A fake ExaBGP: `takes` decides which written lines it accepts (`done`) or refuses (`error`). */
function world(settings: Partial<AnnouncerSettings>, takes: ((line: string) => boolean) | null) {
  const clock = new FakeClock();
  const out: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const health = { app: PASS };
  const loop: string[] = [];
  const log = createLogger({ program: "t", level: "debug", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const cfg = loadAnnouncerConfig("next_hop: 192.0.2.2\ninterval: 1s\nfast_interval: 100ms\nrise: 1\nfall: 1\napps: [{ name: web, vip: 10.255.255.1/32, ports: [443] }]\n", "/t/a.yaml");
  if (!cfg.ok) throw new Error(cfg.error.join("\n"));
  let ann: Announcer;
  // eslint-disable-next-line prefer-const
  ann = new Announcer(
    { communityAsn: 12345, nextHop: cfg.value.nextHop, ack: takes !== null, drainTime: 0, ...settings },
    {
      clock,
      random: () => 0,
      log,
      write: (lines) => {
        out.push(...lines);
        // ExaBGP answers after the write returns.
        if (takes) for (const l of lines) clock.setTimeout(() => ann.onLine(takes(l) ? "done" : "error"), 1);
      },
      check: async () => health.app,
      loopback: { ready: (p) => (loop.push(`ready ${p.text}`), true), remove: (p) => void loop.push(`del ${p.text}`), removeAll: async () => {} },
      exit: () => {},
    },
  );
  ann.load(cfg.value.apps);
  return { clock, out, logs, ann, health, loop, events: (e: string) => logs.filter((l) => l.event === e) };
}

const announcedVips = (a: Announcer) => a.snapshot().announced.map((r) => r.prefix.text);
const exabgp6 = (l: string) => l.startsWith("peer * ");
const exabgp4 = (l: string) => !l.startsWith("peer ");

describe("the announcer finds out which API its ExaBGP takes", () => {
  it("ExaBGP 6 (API v6), nothing heard first: one refused v4 line, then v6 for good; no error is logged", async () => {
    const t = world({}, exabgp6);
    await t.clock.advance(50);
    expect(t.out).toEqual([V4_LINE, v6(V4_LINE)]);
    expect(t.ann.link.stats).toMatchObject({ commands: 2, acks: 2, ackErrors: 0, apiRetries: 1 });
    expect(t.events("command_error")).toEqual([]);
    expect(t.events("exabgp_api")).toEqual([expect.objectContaining({ api: 6, from: "done" })]);
    expect(announcedVips(t.ann)).toEqual(["10.255.255.1/32"]);
    // The backend goes away: the withdraw is written in v6's form at once.
    t.health.app = FAIL;
    await t.clock.advance(1000);
    expect(t.out.at(-1)).toBe("peer * withdraw route 10.255.255.1/32 next-hop 192.0.2.2");
    expect(t.ann.link.stats.ackErrors).toBe(0);
  });

  it("ExaBGP 6 (API v6) says so in its neighbor event first: no refused line at all", async () => {
    const t = world({}, exabgp6);
    t.ann.onLine(json("6.0.0"));
    await t.clock.advance(50);
    expect(t.out).toEqual([v6(V4_LINE)]);
    expect(t.ann.link.stats.apiRetries).toBe(0);
    expect(t.events("exabgp_api")).toEqual([expect.objectContaining({ api: 6, from: "events" })]);
  });

  it.each([
    ["4.2 / 5.0 (text event)", "neighbor 127.0.0.1 up"],
    ["6 with exabgp.api.version=4 (JSON 4.0.1)", json("4.0.1")],
  ])("ExaBGP %s: v4 from the start", async (_v, event) => {
    const t = world({}, exabgp4);
    t.ann.onLine(event);
    await t.clock.advance(50);
    expect(t.out).toEqual([V4_LINE]);
    expect(t.events("exabgp_api")).toEqual([expect.objectContaining({ api: 4 })]);
  });

  it("no acks (exabgp.api.ack=false) with ExaBGP 6: the v4 line written blind is written again in v6's form when its JSON comes", async () => {
    const t = world({}, null);
    await t.clock.advance(50);
    expect(t.out).toEqual([V4_LINE]);
    expect(t.events("exabgp_api_guessed")).toEqual([expect.objectContaining({ api: 4 })]);
    await t.clock.advance(2000);
    t.ann.onLine(json("6.0.0"));
    await t.clock.advance(0);
    // The neighbor came up: the announcer also writes its whole set again (in v6's form).
    expect(t.out.slice(1).every((l) => l === v6(V4_LINE))).toBe(true);
    expect(t.out.length).toBeGreaterThan(1);
  });

  it("exabgp_api: 6 writes v6 from the first line", async () => {
    const t = world({ exabgpApi: 6 }, exabgp6);
    await t.clock.advance(50);
    expect(t.out).toEqual([v6(V4_LINE)]);
    expect(t.events("exabgp_api")).toEqual([expect.objectContaining({ api: 6, from: "config" })]);
  });
});

describe("a command ExaBGP refuses is never taken as sent", () => {
  it("a refused announce is not announced; a neighbor up tries it once more; it is still withdrawn when the app goes", async () => {
    const t = world({ exabgpApi: 4 }, () => false);
    await t.clock.advance(50);
    expect(t.out).toEqual([V4_LINE]);
    expect(t.events("command_error")).toEqual([expect.objectContaining({ command: V4_LINE, kept: "not counted as sent" })]);
    expect(announcedVips(t.ann)).toEqual([]);
    t.ann.onLine("neighbor 127.0.0.1 up");
    await t.clock.advance(50);
    expect(t.out).toEqual([V4_LINE, V4_LINE]);
    // ExaBGP may hold an older announce of it: the withdraw still goes.
    t.health.app = FAIL;
    await t.clock.advance(1000);
    expect(t.out.at(-1)).toBe("withdraw route 10.255.255.1/32 next-hop 192.0.2.2");
  });

  it("taken on the next try: announced again", async () => {
    let answers = 0;
    const t = world({ exabgpApi: 4 }, () => answers++ > 0);
    await t.clock.advance(50);
    expect(announcedVips(t.ann)).toEqual([]);
    t.ann.onLine("neighbor 127.0.0.1 up");
    await t.clock.advance(50);
    expect(announcedVips(t.ann)).toEqual(["10.255.255.1/32"]);
  });

  it("a refused repeat of a command ExaBGP took before changes nothing: still announced", async () => {
    let answers = 0;
    const t = world({ exabgpApi: 4 }, () => answers++ === 0);
    await t.clock.advance(50);
    t.ann.onLine("neighbor 127.0.0.1 up");
    await t.clock.advance(50);
    expect(t.out).toEqual([V4_LINE, V4_LINE]);
    expect(t.events("command_error")).toEqual([expect.objectContaining({ kept: "the same command, taken before, still holds" })]);
    expect(announcedVips(t.ann)).toEqual(["10.255.255.1/32"]);
  });

  it("auto: refused in both forms, it is counted as one refusal, not as announced", async () => {
    const t = world({}, () => false);
    await t.clock.advance(50);
    expect(t.out).toEqual([V4_LINE, v6(V4_LINE)]);
    expect(t.ann.link.stats).toMatchObject({ ackErrors: 1, apiRetries: 1 });
    expect(announcedVips(t.ann)).toEqual([]);
  });
});

describe("exabgp_api in the config file", () => {
  const load = (v: string) => loadAnnouncerConfig(`next_hop: self\n${v}apps: []\n`, "/t/a.yaml");
  it.each([
    ["", "auto"],
    ["exabgp_api: auto\n", "auto"],
    ["exabgp_api: 4\n", 4],
    ["exabgp_api: 6\n", 6],
    ['exabgp_api: "6"\n', 6],
  ])("%j → %s", (line, want) => {
    const r = load(line);
    expect(r.ok && r.value.exabgpApi).toBe(want);
  });

  it.each([["exabgp_api: 5\n"], ["exabgp_api: v6\n"], ["exabgp_api: true\n"]])("%j is refused with its path", (line) => {
    const r = load(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual([expect.stringContaining("exabgp_api: expected auto, 4 or 6")]);
  });
});
