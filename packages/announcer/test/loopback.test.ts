// manage_loopback's manager against a pretend `ip` (a set of addresses on lo),
// on the fake clock: when a VIP is ready, what comes off and when, the label,
// and an address someone deleted.

import { describe, expect, it } from "vitest";
import type { Prefix } from "@exacast/core";
import { createLogger, parsePrefix } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import type { IpRunner, LoopbackOptions } from "../src/loopback.js";
import { LoopbackManager, parseAddressList } from "../src/loopback.js";

const P = (s: string) => (parsePrefix(s) as { value: Prefix }).value;
const V1 = P("10.255.255.1/32");
const V6 = P("2001:db8::1/128");

/** lo as `ip` shows it; `failAdd` makes adds fail (no permission). */
function fakeIp() {
  const lo = new Map<string, string>([["127.0.0.1/8", "lo"]]);
  const calls: string[] = [];
  const state = { failAdd: false };
  const ip: IpRunner = async (args) => {
    calls.push(args.join(" "));
    if (args[0] === "-o") {
      const text = [...lo].map(([a, label]) => `1: lo    ${a.includes(":") ? "inet6" : "inet"} ${a} scope global ${a.includes(":") ? "" : label}\\       valid_lft forever preferred_lft forever`).join("\n");
      return { code: 0, output: text };
    }
    const [verb, addr] = [args[1], args[2]!];
    if (verb === "add") {
      if (state.failAdd) return { code: 2, output: "RTNETLINK answers: Operation not permitted" };
      if (lo.has(addr)) return { code: 2, output: "Error: ipv4: Address already assigned." };
      const i = args.indexOf("label");
      lo.set(addr, i > 0 ? args[i + 1]! : "lo");
      return { code: 0, output: "" };
    }
    lo.delete(addr);
    return { code: 0, output: "" };
  };
  return { lo, calls, ip, state };
}

function setup(mode: LoopbackOptions["mode"], label: string | null = null) {
  const clock = new FakeClock();
  const f = fakeIp();
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ program: "t", level: "debug", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const m = new LoopbackManager({ mode, label, clock, verifyMs: 1000 }, log, f.ip);
  const changes: string[] = [];
  m.onChange = (p) => void changes.push(p.text);
  return { clock, m, changes, logs, ...f };
}

describe("manage_loopback: announced", () => {
  it("a VIP is not ready until its address is on lo; then onChange says so, and a withdraw takes it off", async () => {
    const t = setup("announced");
    await t.m.start();
    expect(t.m.ready(V1)).toBe(false);
    await t.clock.advance(0);
    expect(t.lo.has("10.255.255.1/32")).toBe(true);
    expect(t.changes).toEqual(["10.255.255.1/32"]);
    expect(t.m.ready(V1)).toBe(true);
    t.m.remove(V1);
    await t.clock.advance(0);
    expect(t.lo.has("10.255.255.1/32")).toBe(false);
  });

  it("an address configured by hand is ready at once after one add attempt, and left in place", async () => {
    const t = setup("announced");
    t.lo.set("10.255.255.1/32", "lo");
    await t.m.start();
    t.m.ready(V1);
    await t.clock.advance(0);
    expect(t.m.ready(V1)).toBe(true);
    t.m.remove(V1);
    await t.m.removeAll();
    expect(t.lo.has("10.255.255.1/32")).toBe(true);
    expect(t.logs.some((l) => l.event === "loopback_present")).toBe(true);
  });

  it("an address deleted behind its back is added again at the next read, loudly, and stays announced", async () => {
    const t = setup("announced");
    await t.m.start();
    t.m.ready(V1);
    await t.clock.advance(0);
    t.changes.length = 0;
    t.lo.delete("10.255.255.1/32");
    await t.clock.advance(1000);
    expect(t.lo.has("10.255.255.1/32")).toBe(true);
    expect(t.changes).toEqual([]);
    expect(t.logs.find((l) => l.event === "loopback_missing")).toMatchObject({ level: "error", vip: "10.255.255.1/32", action: "added again" });
    expect(t.m.ready(V1)).toBe(true);
  });

  it("…and when it cannot be added again, the VIP is withdrawn (not ready) until it can", async () => {
    const t = setup("announced");
    await t.m.start();
    t.m.ready(V1);
    await t.clock.advance(0);
    t.changes.length = 0;
    t.lo.delete("10.255.255.1/32");
    t.state.failAdd = true;
    await t.clock.advance(1000);
    expect(t.changes).toEqual(["10.255.255.1/32"]);
    expect(t.m.ready(V1)).toBe(false);
    expect(t.logs.find((l) => l.event === "loopback_missing")).toMatchObject({ action: "withdrawn until it can be added" });
    t.state.failAdd = false;
    await t.clock.advance(1000);
    expect(t.m.ready(V1)).toBe(true);
    expect(t.changes).toEqual(["10.255.255.1/32", "10.255.255.1/32"]);
  });
});

describe("manage_loopback: always", () => {
  it("every VIP named is on lo before any check, a VIP no app names comes off, all come off at exit", async () => {
    const t = setup("always");
    await t.m.start();
    t.m.keep([V1, V6]);
    await t.clock.advance(0);
    expect([...t.lo.keys()].sort()).toEqual(["10.255.255.1/32", "127.0.0.1/8", "2001:db8::1/128"]);
    expect(t.m.ready(V1) && t.m.ready(V6)).toBe(true);
    t.m.remove(V1); // a withdraw leaves it in place
    t.m.keep([V1]);
    await t.clock.advance(0);
    expect([...t.lo.keys()].sort()).toEqual(["10.255.255.1/32", "127.0.0.1/8"]);
    await t.m.removeAll();
    expect([...t.lo.keys()]).toEqual(["127.0.0.1/8"]);
  });
});

describe("manage_loopback: label", () => {
  it("IPv4 addresses get `label lo:<label>`; a labelled address left by a predecessor is ours to remove", async () => {
    const t = setup("announced", "exacast");
    t.lo.set("10.255.255.7/32", "lo:exacast");
    t.lo.set("10.255.255.8/32", "lo");
    await t.m.start();
    t.m.ready(V1);
    t.m.ready(V6);
    await t.clock.advance(0);
    expect(t.calls).toContain("address add 10.255.255.1/32 dev lo label lo:exacast");
    expect(t.calls).toContain("address add 2001:db8::1/128 dev lo");
    await t.m.removeAll();
    expect([...t.lo.keys()].sort()).toEqual(["10.255.255.8/32", "127.0.0.1/8"]);
  });

  it("reads `ip -o address show` lines: address and label", () => {
    const text = [
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
      "1: lo    inet 10.1.1.1/32 scope global lo:exacast\\       valid_lft forever preferred_lft forever",
      "1: lo    inet 10.1.1.2/32 scope global secondary lo:x\\       valid_lft forever preferred_lft forever",
      "1: lo    inet6 2001:db8::1/128 scope global \\       valid_lft forever preferred_lft forever",
    ].join("\n");
    expect([...parseAddressList(text)]).toEqual([
      ["10.1.1.1/32", "lo:exacast"],
      ["10.1.1.2/32", "lo:x"],
      ["2001:db8::1/128", ""],
    ]);
  });
});
