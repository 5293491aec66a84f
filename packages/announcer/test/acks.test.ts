// Whether ExaBGP answers commands, learnt beside its API: no answer to the
// first command (exabgp.api.ack=false) and commands stop waiting; answers
// while not waiting (ack: false) and they wait again. The pure channel, then
// the announcer on the fake clock.

import { describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { Announcer } from "../src/announcer.js";
import { ExaBgpChannel } from "../src/channel.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { FIRST_ACK_TIMEOUT_MS } from "../src/link.js";

const route = (n: number, verb = "announce") => `${verb} route 10.0.0.${n}/32 next-hop self`;
const [A, B, C, D] = [route(1), route(2), route(3), route(4)] as const;

describe("the channel learns whether ExaBGP answers", () => {
  const channel = (ack: boolean) => new ExaBgpChannel({ ack, ackTimeout: 5000, firstAckTimeout: 1000, api: 4 });

  it("ack: true, the first command unanswered for firstAckTimeout: acks are off, what waits goes at once", () => {
    const ch = channel(true);
    expect([...ch.send("a", A, 0), ...ch.send("b", B, 0), ...ch.send("c", C, 0)]).toEqual([A]);
    expect(ch.deadline()).toBe(1000);
    expect(ch.expire(999)).toMatchObject({ expired: null, acksOff: false });
    const r = ch.expire(1000);
    expect(r).toMatchObject({ acksOff: true, writes: [B, C] });
    expect(r.expired?.line).toBe(A);
    expect(ch.acking).toBe(false);
    expect(ch.takeAcksLearnt()).toEqual([{ acks: false, from: "silence", waitedMs: 1000 }]);
    expect(ch.send("d", D, 1500)).toEqual([D]);
    expect(ch.deadline()).toBeNull();
  });

  it("a first answer that was only slow: once every command written meanwhile is answered, commands wait again", () => {
    const ch = channel(true);
    ch.send("a", A, 0);
    ch.send("b", B, 0);
    ch.expire(1000); // A, then B written without waiting
    expect(ch.ack(true, 1200)).toMatchObject({ command: null, unattributed: true });
    expect(ch.acking).toBe(false);
    ch.ack(true, 1201);
    expect(ch.acking).toBe(true);
    expect(ch.takeAcksLearnt()).toEqual([{ acks: false, from: "silence", waitedMs: 1000 }, { acks: true, from: "answers" }]);
    expect([...ch.send("c", C, 1300), ...ch.send("d", D, 1300)]).toEqual([C]);
    expect(ch.deadline()).toBe(6300); // ExaBGP has answered: the usual timeout
  });

  it("ack: false and ExaBGP answers: waited for once all written were answered (an answer cannot be matched before)", () => {
    const ch = channel(false);
    expect([...ch.send("a", A, 0), ...ch.send("b", B, 0)]).toEqual([A, B]);
    ch.ack(true, 5);
    expect(ch.acking).toBe(false);
    expect(ch.send("c", C, 6)).toEqual([C]); // still written at once: 2 answers outstanding
    ch.ack(true, 7);
    ch.ack(false, 8);
    expect(ch.acking).toBe(true);
    expect(ch.takeAcksLearnt()).toEqual([{ acks: true, from: "answers" }]);
    expect([...ch.send("a", A, 10), ...ch.send("b", B, 10)]).toEqual([A]);
    expect(ch.ack(true, 11)).toMatchObject({ command: { line: A }, writes: [B] });
  });

  it("ExaBGP silent later on, after it answered: a timeout, not acks off; once abandoned, answers change nothing", () => {
    const ch = channel(true);
    ch.send("a", A, 0);
    ch.ack(true, 1);
    ch.send("b", B, 10);
    expect(ch.expire(1010)).toMatchObject({ expired: null });
    expect(ch.expire(5010)).toMatchObject({ acksOff: false, writes: [] });
    expect(ch.acking).toBe(true);
    ch.abandonAcks();
    ch.ack(true, 6000);
    expect(ch.acking).toBe(false);
    expect(ch.takeAcksLearnt()).toEqual([]);
  });
});

describe("the announcer against ExaBGP's acks (fake clock)", () => {
  const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
  const FAIL: AppCheckResult = { pass: false, disabled: false, results: [], reason: "down" };
  const APPS = ["1", "2", "3"].map((n) => `  - { name: web${n}, vip: 10.255.8.${n}/32, ports: [443] }`).join("\n");

  function setup(ack: boolean) {
    const clock = new FakeClock();
    const out: { at: number; line: string }[] = [];
    const logs: Record<string, unknown>[] = [];
    const health = new Map<string, AppCheckResult>();
    const cfg = loadAnnouncerConfig(`next_hop: 192.0.2.2\ninterval: 500ms\nfast_interval: 100ms\nrise: 2\nfall: 2\napps:\n${APPS}\n`, "/t/a.yaml", {}, {});
    if (!cfg.ok) throw new Error(cfg.error.join("\n"));
    const log = createLogger({ program: "t", level: "debug", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
    const ann = new Announcer(
      { communityAsn: 12345, nextHop: cfg.value.nextHop, ack, drainTime: 0, exabgpApi: 4 },
      {
        clock,
        random: () => 0,
        log,
        write: (lines) => void out.push(...lines.map((line) => ({ at: clock.now(), line }))),
        check: async (e) => health.get(e.spec.name) ?? FAIL,
        loopback: null,
        exit: () => {},
      },
    );
    ann.load(cfg.value.apps);
    const events = (n: string) => logs.filter((l) => l.event === n);
    return { clock, out, health, ann, events };
  }

  it("exabgp.api.ack=false with ack: true: the first command waits 1 s, then nothing waits; 3 apps down: 3 withdraws at once", async () => {
    const t = setup(true);
    for (const n of ["web1", "web2", "web3"]) t.health.set(n, PASS);
    await t.clock.advance(100); // all UP at 100
    expect(t.out.map((o) => o.at)).toEqual([100]);
    await t.clock.advance(FIRST_ACK_TIMEOUT_MS);
    expect(t.out.map((o) => o.at)).toEqual([100, 1100, 1100]);
    expect(t.events("acks_off")).toEqual([expect.objectContaining({ level: "warn", waited_ms: 1000, hint: "set ack: false" })]);
    for (const n of ["web1", "web2", "web3"]) t.health.set(n, FAIL);
    const down = t.clock.now();
    await t.clock.advance(1000);
    const withdraws = t.out.filter((o) => o.line.startsWith("withdraw"));
    expect(withdraws).toHaveLength(3);
    // fall (2) checks, then all three in the same turn: no answer waited for.
    expect(new Set(withdraws.map((o) => o.at)).size).toBe(1);
    expect(withdraws[0]!.at - down).toBeLessThanOrEqual(600);
    expect(t.events("ack_timeout")).toEqual([]);
    expect(t.ann.snapshot().link).toMatchObject({ acking: false, ackTimeouts: 0 });
  });

  it("ack: false and ExaBGP answers: acks_on says to set ack: true, and commands wait from then on; an error meanwhile is logged", async () => {
    const t = setup(false);
    t.health.set("web1", PASS);
    t.health.set("web2", PASS);
    await t.clock.advance(100); // web1, web2 announced, web3 (down) withdrawn: 3 lines at once
    expect(t.out).toHaveLength(3);
    t.ann.onLine("error");
    expect(t.events("command_error")).toEqual([expect.objectContaining({ command: "(not known: written without waiting for answers)" })]);
    t.ann.onLine("done");
    expect(t.events("acks_on")).toEqual([]);
    t.ann.onLine("done");
    expect(t.events("acks_on")).toEqual([expect.objectContaining({ level: "warn", hint: "set ack: true" })]);
    expect(t.ann.snapshot().link.acking).toBe(true);
    t.health.set("web1", FAIL);
    t.health.set("web2", FAIL);
    await t.clock.advance(1000);
    expect(t.out.slice(3).map((o) => o.line)).toEqual(["withdraw route 10.255.8.1/32 next-hop 192.0.2.2"]); // web2's waits for the answer
    t.ann.onLine("done");
    expect(t.out.slice(4).map((o) => o.line)).toEqual(["withdraw route 10.255.8.2/32 next-hop 192.0.2.2"]);
  });
});
