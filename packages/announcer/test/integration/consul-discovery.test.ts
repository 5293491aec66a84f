// Consul discovery against the Consul agent emulator (a real HTTP server on
// loopback, blocking queries and ACLs included), through the `consul` npm
// client, into an app registry.

import { createLogger } from "@exacast/core";
import { afterEach, describe, expect, it } from "vitest";
import { startConsulEmulator, type ConsulEmulator } from "../../../../test/consul-emulator/index.js";
import { waitFor } from "../../../../test/harness/wait.js";
import type { ConsulConfig } from "../../src/config.js";
import type { Globals } from "../../src/model.js";
import { DEFAULT_TIMERS } from "../../src/model.js";
import { ConsulApps } from "../../src/consul/apps.js";
import { createConsulApi } from "../../src/consul/client.js";
import { ConsulDiscovery } from "../../src/consul/discovery.js";
import { ConsulHealth } from "../../src/consul/health.js";
import { AppRegistry } from "../../src/registry.js";

const TOKEN = "discovery-test-token";
const globals: Globals = { communityAsn: 12345, nextHop: "self", timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null };

interface Setup {
  consul: ConsulEmulator;
  registry: AppRegistry;
  health: ConsulHealth;
  discovery: ConsulDiscovery;
  logs: string[];
  checksChanged: number;
}

let open: Setup | null = null;
afterEach(async () => {
  open?.discovery.stop();
  await open?.consul.close();
  open = null;
});

async function setup(over: Partial<ConsulConfig> = {}, emulator: { aclToken?: string } = { aclToken: TOKEN }): Promise<Setup> {
  const consul = await startConsulEmulator({ node: "edge1", ...emulator });
  const cfg: ConsulConfig = {
    address: { secure: false, host: consul.host, port: consul.port },
    node: null,
    token: TOKEN,
    tokenFrom: "config",
    tag: "exacast",
    interval: 100,
    wait: 5000,
    hold: 30_000,
    allowExec: false,
    ...over,
  };
  const logs: string[] = [];
  const log = createLogger({ program: "t", level: "debug", write: (l) => logs.push(l) });
  const registry = new AppRegistry(() => performance.now());
  registry.upsert({ name: "static", source: "config", vips: [], ports: [], checks: [], timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null });
  const health = new ConsulHealth(cfg.hold, () => performance.now());
  const apps = new ConsulApps(registry, { tag: cfg.tag, allowExec: false }, { globals, baseDir: "/", rules: { consul: true, exec: false } }, log);
  const s: Setup = { consul, registry, health, logs, checksChanged: 0, discovery: null as unknown as ConsulDiscovery };
  s.discovery = new ConsulDiscovery(cfg, {
    api: createConsulApi(cfg),
    health,
    log,
    now: () => performance.now(),
    sink: (services) => apps.sync(services),
    onChecks: () => s.checksChanged++,
  });
  open = s;
  return s;
}

const consulApps = (r: AppRegistry) =>
  [...r.entries()].filter((e) => e.spec.source === "consul").map((e) => `${e.spec.name} ${e.spec.vips.map((v) => v.text).join(",")} ${e.spec.ports.join(",")}`);

describe("Consul discovery", () => {
  it("finds the node, turns tagged services into apps, and follows registrations within a blocking query", async () => {
    const s = await setup();
    s.consul.registerService({ ID: "web-1", Name: "web", Port: 8443, Tags: ["exacast", "exacast_vip=10.1.1.1/32"], Check: { CheckID: "web-ttl", TTL: "30s", Status: "passing" } });
    s.consul.registerService({ ID: "db", Name: "db", Port: 5432 });
    s.discovery.start();
    await waitFor(() => consulApps(s.registry).length === 1, { what: "the first app", timeout: 3000 });
    expect(consulApps(s.registry)).toEqual(["consul-web-1 10.1.1.1/32 8443"]);
    expect(s.discovery.status).toMatchObject({ node: "edge1", reachable: true });
    expect(s.logs.some((l) => /consul_node node=edge1/.test(l))).toBe(true);
    expect(s.health.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing" });

    await waitFor(() => s.consul.blockedQueries >= 2, { what: "both watches to block", timeout: 3000 });
    let t = performance.now();
    s.consul.registerService({ ID: "api-1", Name: "api", Port: 9000, Tags: ["exacast", "exacast_vip=10.1.1.2/32", "exacast_port=9001"] });
    await waitFor(() => consulApps(s.registry).length === 2, { what: "api-1", timeout: 3000, interval: 2 });
    const added = performance.now() - t;
    expect(consulApps(s.registry)).toContain("consul-api-1 10.1.1.2/32 9001");

    await waitFor(() => s.consul.blockedQueries >= 2, { what: "both watches to block again", timeout: 3000 });
    t = performance.now();
    s.consul.deregisterService("web-1");
    await waitFor(() => consulApps(s.registry).length === 1, { what: "web-1 gone", timeout: 3000, interval: 2 });
    const removed = performance.now() - t;
    console.log(`consul discovery: registration seen in ${added.toFixed(1)} ms, deregistration in ${removed.toFixed(1)} ms`);
    expect(added).toBeLessThan(500);
    expect(removed).toBeLessThan(500);

    const before = s.checksChanged;
    s.consul.setCheckStatus("serfHealth", "critical");
    await waitFor(() => s.checksChanged > before, { what: "the checks watch", timeout: 3000 });
    expect(s.health.verdict("api-1")).toMatchObject({ ok: false, reason: expect.stringMatching(/^node check serfHealth is critical/) });
    expect(s.registry.get("static")?.spec.source).toBe("config");
  });

  it("skips services with invalid tags (one log naming service and tag) and never takes another source's name", async () => {
    const s = await setup();
    s.consul.registerService({ ID: "bad", Name: "bad", Tags: ["exacast", "exacast_vip=10.0.0.1/33"] });
    s.registry.upsert({ name: "consul-taken", source: "http", vips: [], ports: [], checks: [], timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null });
    s.consul.registerService({ ID: "taken", Name: "taken", Tags: ["exacast", "exacast_vip=10.0.0.2/32"] });
    s.consul.registerService({ ID: "good", Name: "good", Tags: ["exacast", "exacast_vip=10.0.0.3/32"] });
    s.discovery.start();
    await waitFor(() => consulApps(s.registry).length === 1, { what: "good", timeout: 3000 });
    s.consul.registerService({ ID: "other", Name: "other" }); // an unrelated change: the skips are not logged again
    await waitFor(() => s.discovery.status.updates >= 2, { what: "a second update", timeout: 3000 });
    const skipped = s.logs.filter((l) => l.includes("consul_service_skipped"));
    expect(skipped).toHaveLength(2);
    expect(skipped[0]).toMatch(/service=bad .*exacast_vip=10\.0\.0\.1\/33.*length must be 0\.\.32/);
    expect(skipped[1]).toMatch(/service=taken .*app name consul-taken is already used by an app from http/);
    expect(s.registry.get("consul-taken")?.spec.source).toBe("http");
  });

  it("an outage keeps the apps, is logged once, holds consul checks, and ends when the agent is back", async () => {
    const s = await setup({ hold: 400 });
    s.consul.registerService({ ID: "web-1", Name: "web", Tags: ["exacast", "exacast_vip=10.1.1.1/32"], Check: { CheckID: "t", TTL: "30s", Status: "passing" } });
    s.discovery.start();
    await waitFor(() => consulApps(s.registry).length === 1, { what: "web-1", timeout: 3000 });
    await s.consul.stop();
    await waitFor(() => s.discovery.status.errors >= 4, { what: "a few failed retries", timeout: 5000 });
    expect(s.discovery.status.reachable).toBe(false);
    expect(consulApps(s.registry)).toHaveLength(1);
    expect(s.logs.filter((l) => l.includes("consul_unreachable"))).toHaveLength(1);
    await waitFor(() => !s.health.verdict("web-1").ok, { what: "the hold to end", timeout: 3000 });
    expect(s.health.verdict("web-1").reason).toMatch(/^no answer from Consul for /);
    await s.consul.start();
    await waitFor(() => s.discovery.status.reachable === true, { what: "recovery", timeout: 3000 }).catch((e) => {
      console.log(s.logs.join(""));
      throw e;
    });
    await waitFor(() => s.health.verdict("web-1").ok, { what: "the verdict back", timeout: 3000 });
    expect(s.logs.filter((l) => l.includes("consul_reachable"))).toHaveLength(1);
  });

  it("without a token under default-deny ACLs: the node is not visible; that keeps the apps and says why, loudly", async () => {
    const s = await setup({ token: null, tokenFrom: null, node: "edge1" });
    s.discovery.start();
    await waitFor(() => s.discovery.status.errors >= 5, { what: "the refusal, retried", timeout: 3000 });
    // The checks query answers (empty, filtered) while the catalog's does not: one error line, no flapping.
    expect(s.logs.filter((l) => /consul_not_visible|consul_reachable/.test(l))).toHaveLength(1);
    expect(s.logs.some((l) => /WARN  consul_acl_no_token/.test(l))).toBe(true);
    expect(s.logs.some((l) => /ERROR consul_not_visible .*lacks node:read/.test(l))).toBe(true);
    expect(s.discovery.status.reachable).toBe(false);
  });

  it("a wrong token (403) is an outage too, with Consul's words", async () => {
    const s = await setup({ token: "wrong", node: "edge1" });
    s.discovery.start();
    await waitFor(() => s.logs.some((l) => l.includes("consul_unreachable")), { what: "the 403", timeout: 3000 });
    expect(s.logs.find((l) => l.includes("consul_unreachable"))).toMatch(/HTTP 403: ACL not found/);
  });
});
