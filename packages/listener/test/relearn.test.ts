// Re-learning a lost table, on a fake clock: the route refreshes a restarted
// listener writes, how it reads ExaBGP's answers, when a refresh counts as
// complete (End-of-Route-Refresh, or quiet), and what it does when a neighbor
// cannot be asked (blind: the files stay as they are).

import { createLogger } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { describe, expect, it } from "vitest";
import { ACK_WAIT_MS, QUIET_MS, Relearn, REFRESH_TIMEOUT_MS } from "../src/relearn.js";
import type { RelearnHooks } from "../src/relearn.js";

const N = "192.0.2.1";

function world() {
  const clock = new FakeClock(1000);
  const sent: string[] = [];
  const events: string[] = [];
  const logs: { level: string; event: string; [k: string]: unknown }[] = [];
  const log = createLogger({ program: "t", format: "json", level: "debug", write: (l) => void logs.push(JSON.parse(l)) });
  const hooks: RelearnHooks = {
    expire: (n, p) => void events.push(`expire ${n} ${p}`),
    keepStale: (n, p) => void events.push(`keep ${n} ${p}`),
    released: () => void events.push("released"),
  };
  const r = new Relearn(clock, log, (l) => void sent.push(l), hooks);
  return { clock, sent, events, logs, r, at: (ms: number) => clock.advance(ms - clock.now()) };
}

describe("relearn", () => {
  it("a neighbor from the snapshot: one refresh per family, one at a time; held until ExaBGP is quiet; what was not sent again expires", async () => {
    const w = world();
    w.r.restored(N, 7, { refresh: "normal", families: ["ipv4 unicast", "ipv6 unicast"] }, false);
    expect(w.sent).toEqual([`neighbor ${N} announce route-refresh ipv4 unicast`]);
    expect(w.r.holding).toBe(true);
    w.r.ack("done");
    expect(w.sent).toHaveLength(2);
    expect(w.sent[1]).toBe(`neighbor ${N} announce route-refresh ipv6 unicast`);
    w.r.ack("done");
    // The routes come back for 400 ms; two were sent again (no longer stale).
    for (let t = 1000; t <= 1400; t += 100) {
      await w.at(t);
      w.r.line(t);
    }
    w.r.relearned(N);
    await w.at(1400 + QUIET_MS - 1);
    expect(w.r.holding).toBe(true);
    await w.at(1400 + QUIET_MS + 10);
    expect(w.events).toEqual([`expire ${N} 7`, "released"]);
    expect(w.r.holding).toBe(false);
    expect(w.logs.filter((l) => l.event === "refresh_asked")).toHaveLength(2);
  });

  it("enhanced route refresh: complete at the End-of-Route-Refresh, however quiet before it", async () => {
    const w = world();
    w.r.restored(N, 1, { refresh: "enhanced", families: ["ipv4 unicast"] }, false);
    w.r.ack("done");
    w.r.relearned(N);
    await w.clock.advance(10 * QUIET_MS);
    expect(w.r.holding).toBe(true);
    w.r.endOfRefresh(N, "ipv6 unicast");
    expect(w.r.holding).toBe(true);
    w.r.endOfRefresh(N, "ipv4 unicast");
    expect(w.events).toEqual([`expire ${N} 1`, "released"]);
  });

  it("ExaBGP answers error (the session is not up): the snapshot's routes follow stale_grace, nothing is held", () => {
    const w = world();
    w.r.restored(N, 4, { refresh: "normal", families: ["ipv4 unicast"] }, false);
    w.r.ack("error");
    expect(w.events).toEqual([`keep ${N} 4`, "released"]);
    expect(w.r.holding).toBe(false);
  });

  it("no answers at all (exabgp.api.ack=false): after ACK_WAIT_MS the others go at once, completed by quiet", async () => {
    const w = world();
    w.r.restored(N, 1, { refresh: "normal" }, false);
    w.r.restored("192.0.2.9", 2, { refresh: "normal" }, false);
    expect(w.sent).toHaveLength(1);
    await w.clock.advance(ACK_WAIT_MS);
    expect(w.sent).toHaveLength(4);
    expect(w.logs.find((l) => l.event === "refresh_unanswered")).toBeTruthy();
    w.r.relearned(N);
    w.r.relearned("192.0.2.9");
    await w.clock.advance(QUIET_MS + 20);
    expect(w.events).toEqual([`expire ${N} 1`, "expire 192.0.2.9 2", "released"]);
  });

  it("a neighbor without route refresh: blind, said loudly, held until its session starts over", async () => {
    const w = world();
    w.r.restored(N, 3, { refresh: "absent" }, false);
    expect(w.sent).toEqual([]);
    expect(w.r.holding).toBe(true);
    expect(w.logs.filter((l) => l.level === "error")).toEqual([expect.objectContaining({ event: "table_incomplete", neighbor: N })]);
    await w.clock.advance(REFRESH_TIMEOUT_MS * 10);
    expect(w.r.holding).toBe(true);
    expect(w.r.status().blind).toEqual([{ neighbor: N, why: expect.stringContaining("route refresh") }]);
    w.r.sessionEvent(N);
    expect(w.events).toEqual([`keep ${N} 3`, "released"]);
  });

  it("asked and nothing came back (no route-refresh on ExaBGP's side): blind, not an empty table", async () => {
    const w = world();
    w.r.restored(N, 1, {}, false);
    w.r.ack("done");
    w.r.ack("done");
    await w.clock.advance(QUIET_MS + 20);
    expect(w.events).toEqual([]);
    expect(w.r.holding).toBe(true);
    expect(w.logs.find((l) => l.event === "table_incomplete")?.why).toMatch(/sent none/);
  });

  it("a route from a session that began before this process: that neighbor is asked, renders held once ExaBGP took the request", async () => {
    const w = world();
    w.r.sessionEvent("192.0.2.7");
    w.r.routeFrom("192.0.2.7");
    expect(w.sent).toEqual([]);
    w.r.routeFrom(N);
    expect(w.sent).toEqual([`neighbor ${N} announce route-refresh ipv4 unicast`]);
    // Held once ExaBGP says the neighbor was asked (its session is up).
    expect(w.r.holding).toBe(false);
    w.r.ack("done");
    expect(w.r.holding).toBe(true);
    w.r.ack("done");
    w.r.routeFrom(N); // its answer
    await w.clock.advance(QUIET_MS + 20);
    expect(w.r.holding).toBe(false);
    expect(w.events).toEqual(["released"]);
  });

  it("a neighbor met mid-session that sends nothing back once ExaBGP took the request: blind (ExaBGP without route refresh answers done)", async () => {
    const w = world();
    w.r.routeFrom(N);
    w.r.ack("done");
    w.r.ack("done");
    await w.clock.advance(QUIET_MS + 20);
    expect(w.r.status().blind).toEqual([{ neighbor: N, why: expect.stringContaining("sent none back") }]);
    w.r.sessionEvent(N);
    expect(w.r.holding).toBe(false);
  });

  it("no snapshot, no answers (a test driving the listener, exabgp.api.ack=false): asked, but nothing held on a guess", async () => {
    const w = world();
    w.r.askEveryone();
    await w.clock.advance(ACK_WAIT_MS + QUIET_MS + 50);
    expect(w.sent).toHaveLength(2);
    expect(w.r.holding).toBe(false);
  });

  it("no snapshot: every neighbor asked; a fresh ExaBGP (none established) answers error and nothing is held", () => {
    const w = world();
    w.r.askEveryone();
    expect(w.sent).toEqual(["announce route-refresh ipv4 unicast"]);
    w.r.ack("error");
    expect(w.sent[1]).toBe("announce route-refresh ipv6 unicast");
    w.r.ack("error");
    expect(w.r.holding).toBe(false);
    // Routes from neighbors that come up later are whole tables: nothing is asked.
    w.r.sessionEvent(N);
    w.r.routeFrom(N);
    expect(w.sent).toHaveLength(2);
  });

  it("ExaBGP 6's own API: `peer <ip> announce route-refresh …`", () => {
    const w = world();
    w.r.negotiated(N, "normal", ["ipv6 unicast"], 6);
    w.r.routeFrom(N);
    expect(w.sent).toEqual([`peer ${N} announce route-refresh ipv6 unicast`]);
  });

  it("a session event supersedes the refresh: a new session sends every route anyway", () => {
    const w = world();
    w.r.restored(N, 5, { refresh: "normal", families: ["ipv4 unicast", "ipv6 unicast"] }, false);
    w.r.sessionEvent(N);
    expect(w.events).toEqual([`keep ${N} 5`]);
    // The command already written is answered, then waited for like any other.
    w.r.ack("done");
    expect(w.sent).toHaveLength(1);
  });

  it("a snapshot written at a clean exit missed nothing: nobody asked, nothing held; the next session event applies stale_grace", () => {
    const w = world();
    w.r.restored(N, 6, { refresh: "normal", families: ["ipv4 unicast"] }, true);
    w.r.restored("192.0.2.9", 7, { refresh: "absent" }, true);
    expect([w.sent, w.r.holding, w.events]).toEqual([[], false, []]);
    w.r.sessionEvent(N);
    expect(w.events).toEqual([`keep ${N} 6`]);
  });

  it("the stale routes sent again are counted from the ask: one re-learned route is an answer", async () => {
    const w = world();
    w.r.relearned(N); // before the ask: does not count
    w.r.restored(N, 2, { refresh: "normal", families: ["ipv4 unicast"] }, false);
    w.r.ack("done");
    await w.clock.advance(QUIET_MS + 20);
    expect(w.events).toEqual([]);
    expect(w.r.status().blind).toHaveLength(1);
  });

  it("max_routes asks without holding renders", () => {
    const w = world();
    w.r.sessionEvent(N);
    w.r.ask(N, "max_routes");
    expect(w.sent).toHaveLength(1);
    expect([w.r.holding, w.r.asking("max_routes")]).toEqual([false, true]);
  });
});
