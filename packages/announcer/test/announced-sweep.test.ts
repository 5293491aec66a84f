// When a restarted announcer withdraws what its predecessor announced and no
// app names: once every source of apps is loaded. With Consul, that is its
// first answer (a Consul app's VIP is not withdrawn while Consul is still
// being asked), or `consul.hold` without one. Fake clock, a fake Consul API.

import { describe, expect, it } from "vitest";
import { createLogger, parsePrefix } from "@exacast/core";
import type { RouteSpec } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { loadAnnouncerConfig } from "../src/config.js";
import type { Answer, ConsulApi, HealthCheck } from "../src/consul/client.js";
import { ConsulHealth } from "../src/consul/health.js";
import type { ConsulService } from "../src/consul/tags.js";
import { Runtime } from "../src/runtime.js";

const FAIL: AppCheckResult = { pass: false, disabled: false, results: [], reason: "down" };
const answer = <T>(body: T): Answer<T> => ({ index: "7", body, aclPolicy: null, filtered: false, knownLeader: true, lastContactMs: 0 });
const never = <T>() => new Promise<T>(() => {});

function setup() {
  const clock = new FakeClock(1_000_000);
  const out: string[] = [];
  const log = createLogger({ program: "t", level: "error", write: () => {} });
  const r = loadAnnouncerConfig("next_hop: 192.0.2.2\nconsul: { node: edge1, hold: 5s }\n", "/t/a.yaml", {}, {});
  if (!r.ok) throw new Error(r.error.join("\n"));
  const cfg = r.value;
  let answerServices: (services: ConsulService[]) => void = () => {};
  const api: ConsulApi = {
    agentNodeName: async () => "edge1",
    localCheckNode: async () => "edge1",
    localService: async () => "present",
    // The first question is answered when the test says; later ones block, as with nothing new.
    nodeServices: (_n, q) => (q.index === null ? new Promise((res) => (answerServices = (s) => res(answer(s)))) : never()),
    nodeChecks: (_n, q) => (q.index === null ? Promise.resolve(answer<HealthCheck[]>([])) : never()),
    close: () => {},
  };
  const health = new ConsulHealth(cfg.consul!.hold, () => clock.now());
  const ann = new Announcer(
    { communityAsn: 12345, nextHop: cfg.nextHop, ack: false, drainTime: 0 },
    { clock, random: () => 0, log, write: (l) => void out.push(...l), check: async () => FAIL, loopback: null, exit: () => {} },
  );
  const runtime = new Runtime(cfg, ann, health, log, { version: "t", consulApi: api, clock });
  const vip = (text: string): RouteSpec => {
    const p = parsePrefix(text);
    if (!p.ok) throw new Error(p.error);
    return { prefix: p.value, nextHop: "self" };
  };
  ann.inherit([vip("10.9.0.1/32"), vip("10.9.0.2/32")]);
  const swept = (async () => {
    await runtime.start();
    await runtime.appsLoaded();
    ann.sweep();
  })();
  return { clock, out, runtime, ann, answer: (s: ConsulService[]) => answerServices(s), swept };
}

describe("the sweep of inherited VIPs waits for Consul", () => {
  it("until its first answer: the VIP of a service still there is left to its app, the other one withdrawn", async () => {
    const t = setup();
    await t.clock.advance(4000);
    expect(t.out).toEqual([]);
    t.answer([{ id: "web", name: "web", port: 443, tags: ["exacast", "exacast_vip=10.9.0.1/32"] }]);
    await t.clock.advance(0);
    await t.swept;
    await t.clock.advance(0);
    expect(t.out).toEqual(["withdraw route 10.9.0.2/32 next-hop self"]);
    expect(t.ann.registry.get("consul-web")?.spec.vips.map((v) => v.text)).toEqual(["10.9.0.1/32"]);
    t.runtime.discovery?.stop();
  });

  it("or consul.hold without an answer: then nothing names either VIP", async () => {
    const t = setup();
    await t.clock.advance(4999);
    expect(t.out).toEqual([]);
    await t.clock.advance(1);
    await t.swept;
    await t.clock.advance(0);
    expect(t.out).toEqual(["withdraw route 10.9.0.1/32 next-hop self", "withdraw route 10.9.0.2/32 next-hop self"]);
    t.runtime.discovery?.stop();
  });
});
