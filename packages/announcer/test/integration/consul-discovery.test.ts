// Consul discovery against the Consul agent emulator (a real HTTP server on
// loopback, blocking queries and ACLs included), through the `consul` npm
// client, into an app registry.

import { describe, expect, it } from "vitest";
import { waitFor } from "../../../../test/harness/wait.js";
import { DEFAULT_TIMERS } from "../../src/model.js";
import { consulApps, setup } from "./consul-fixture.js";

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

describe("which node, with the least privilege", () => {
  const READER = { rules: { node: { edge1: "read" as const }, service_prefix: { "": "read" as const }, agent: { edge1: "read" as const } } };
  const found = async (s: Awaited<ReturnType<typeof setup>>) => {
    s.discovery.start();
    await waitFor(() => s.discovery.status.node !== null && consulApps(s.registry).length === 1, { what: "the node and its app", timeout: 5000 });
    return s.logs.find((l) => l.includes("consul_node"));
  };
  const webTagged = (s: Awaited<ReturnType<typeof setup>>) =>
    s.consul.registerService({ ID: "web-1", Name: "web", Tags: ["exacast", "exacast_vip=10.1.1.1/32"], Check: { CheckID: "web-ttl", TTL: "30s", Status: "passing" } });

  it("node:read, service:read and agent:read: the name comes from /v1/agent/self", async () => {
    const s = await setup({ token: "reader" }, { aclTokens: { reader: READER } });
    webTagged(s);
    expect(await found(s)).toMatch(/node=edge1 from=\/v1\/agent\/self/);
    expect(s.health.verdict("web-1").ok).toBe(true);
  });

  it("a node identity (no agent:read): /v1/agent/self answers 403, the name comes from the agent's checks", async () => {
    const s = await setup({ token: "node-id" }, { aclTokens: { "node-id": { nodeIdentities: ["edge1"] } } });
    webTagged(s);
    expect(await found(s)).toMatch(/node=edge1 from="\/v1\/agent\/checks \(the token lacks agent:read\)"/);
    expect(s.consul.requests.filter((r) => r.path === "/v1/agent/self").map((r) => r.status)).toEqual([403]);
    expect(s.logs.filter((l) => /ERROR/.test(l))).toEqual([]);
  });

  it("a service identity on an agent with no check it may read: the host name, if Consul has that node", async () => {
    const s = await setup({ token: "svc-id" }, { aclTokens: { "svc-id": { serviceIdentities: ["web"] } } }, "edge1");
    s.consul.registerService({ ID: "web-1", Name: "web", Tags: ["exacast", "exacast_vip=10.1.1.1/32"] });
    expect(await found(s)).toMatch(/node=edge1 from="the host name/);
  });

  it("no way to tell: one error saying to set consul.node, retried with back-off", async () => {
    const s = await setup({ token: "svc-id" }, { aclTokens: { "svc-id": { serviceIdentities: ["web"] } } }, "elsewhere");
    s.discovery.start();
    await waitFor(() => s.discovery.status.errors >= 3, { what: "three tries", timeout: 5000 });
    expect(s.logs.filter((l) => /ERROR consul_unreachable .*set consul\.node or CONSUL_NODE/.test(l))).toHaveLength(1);
    const tries = s.consul.requests.filter((r) => r.path === "/v1/agent/self").map((r) => r.ms);
    expect(tries.length).toBeGreaterThanOrEqual(3);
  });

  it("with consul.node set (in any case: Consul's node names are not case-sensitive) /v1/agent/self is never asked", async () => {
    const s = await setup({ token: "svc-id", node: "EDGE1" }, { aclTokens: { "svc-id": { serviceIdentities: ["web"] } } });
    webTagged(s);
    s.discovery.start();
    await waitFor(() => consulApps(s.registry).length === 1, { what: "the app", timeout: 5000 });
    expect(s.health.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing" });
    expect(s.consul.requests.some((r) => r.path.startsWith("/v1/agent/self"))).toBe(false);
    expect(s.consul.requests.some((r) => r.path === "/v1/catalog/node/EDGE1" && r.query.includes("stale"))).toBe(true);
  });
});

describe("what is an app", () => {
  it("a Connect sidecar copies its parent's tags but is not an app: one app, on the parent's port", async () => {
    const s = await setup();
    s.consul.registerService({ ID: "web-1", Name: "web", Port: 8443, Tags: ["exacast", "exacast_vip=10.1.1.1/32"], Connect: { SidecarService: {} } });
    s.discovery.start();
    await waitFor(() => s.discovery.status.updates >= 1, { what: "the first update", timeout: 3000 });
    expect(s.discovery.status.services).toBe(3); // consul, web-1, web-1-sidecar-proxy
    expect(consulApps(s.registry)).toEqual(["consul-web-1 10.1.1.1/32 8443"]);
    expect(s.logs.some((l) => /consul_service_ignored service=web-1-sidecar-proxy kind=connect-proxy/.test(l))).toBe(true);
  });
});
