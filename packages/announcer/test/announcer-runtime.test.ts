// The announcer with apps from run-time sources (HTTP, Consul): checks run
// on demand, and nothing is announced again once it is stopping.

import { createLogger } from "@exacast/core";
import { describe, expect, it } from "vitest";
import { Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import type { AppSpec } from "../src/model.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { FakeClock } from "@exacast/runtime";

const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
const V1 = "announce route 10.255.255.1/32 next-hop 192.0.2.2 community";

function appsOf(yaml: string): AppSpec[] {
  const r = loadAnnouncerConfig(`next_hop: 192.0.2.2\ninterval: 1s\nfast_interval: 100ms\nrise: 2\nfall: 2\n${yaml}`, "/t/a.yaml", {}, {});
  if (!r.ok) throw new Error(r.error.join("\n"));
  return [...r.value.apps];
}

const base = loadAnnouncerConfig("next_hop: 192.0.2.2\n", "/t/a.yaml", {}, {});
if (!base.ok) throw new Error("bad base config");
const NEXT_HOP = base.value.nextHop;

function setup(yaml: string) {
  const clock = new FakeClock();
  const out: string[] = [];
  const checks = new Map<string, number>();
  const health = new Map<string, AppCheckResult>();
  const exits: number[] = [];
  const apps = appsOf(yaml);
  const ann = new Announcer(
    { communityAsn: 12345, nextHop: NEXT_HOP, ack: false, drainTime: 0 },
    {
      clock,
      random: () => 0,
      log: createLogger({ program: "t", level: "error", write: () => {} }),
      write: (lines) => void out.push(...lines),
      check: async (e) => {
        checks.set(e.spec.name, (checks.get(e.spec.name) ?? 0) + 1);
        return health.get(e.spec.name) ?? PASS;
      },
      loopback: null,
      exit: (c) => void exits.push(c),
    },
  );
  return { clock, out, checks, health, exits, ann, apps };
}

describe("announcer: run-time sources and shutdown", () => {
  it("checkNow runs an app's checks at once instead of at its interval", async () => {
    const t = setup("apps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443] }\n");
    t.ann.load(t.apps);
    t.health.set("web", PASS);
    await t.clock.advance(150);
    expect(t.checks.get("web")).toBe(2); // INIT → RISING at 0, UP at 100; next at 1100
    t.ann.checkNow("web");
    await t.clock.advance(1);
    expect(t.checks.get("web")).toBe(3);
    t.ann.checkNow("nobody");
  });

  it("a registry change while stopping announces nothing again", async () => {
    const t = setup("apps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443] }\n");
    t.ann.load(t.apps);
    t.health.set("web", PASS);
    await t.clock.advance(150);
    expect(t.out).toEqual([`${V1} [12345:443]`]);
    const stopping = t.ann.shutdown("eof");
    const [late] = appsOf("apps:\n  - { name: late, vip: 10.255.255.1/32, ports: [80] }\n");
    t.ann.registry.upsert({ ...late!, source: "consul" });
    t.ann.registry.upsert({ ...t.apps[0]!, ports: [443, 8443] });
    await t.clock.advance(6000);
    await stopping;
    expect(t.out).toEqual([`${V1} [12345:443]`, "withdraw route 10.255.255.1/32 next-hop 192.0.2.2"]);
    expect(t.exits).toEqual([0]);
  });
});
