// Consul discovery when the cluster does what real clusters do: the agent
// leaves and restarts, ACLs hide some services, the leader is lost, the
// index goes backwards. Against the agent emulator, in process.

import { describe, expect, it } from "vitest";
import { waitFor } from "../../../../test/harness/wait.js";
import { consulApps, setup, TOKEN, watching } from "./consul-fixture.js";

const web = { ID: "web-1", Name: "web", Port: 8443, Tags: ["exacast", "exacast_vip=10.1.1.1/32"], Check: { CheckID: "web-http", HTTP: "http://127.0.0.1:8443/", Interval: "10s" } };

describe("the agent leaves and restarts", () => {
  it("the empty answers of a leave are held, the apps kept; after the restart checks not yet run are held too, until they run", async () => {
    const s = await setup({ hold: 10_000 });
    s.consul.registerService(web);
    s.consul.setCheckStatus("web-http", "passing", "HTTP GET http://127.0.0.1:8443/: 200 OK");
    s.discovery.start();
    await waitFor(() => s.health.verdict("web-1").ok, { what: "web-1 healthy", timeout: 3000 });
    await watching(s);
    s.consul.leave();
    await waitFor(() => /held: node edge1 not in Consul's catalog/.test(s.health.verdict("web-1").reason), { what: "the hold", timeout: 3000 });
    expect(s.health.verdict("web-1").ok).toBe(true);
    await s.consul.stop();
    await s.consul.start({ rejoin: false });
    await s.consul.stop(); // (two restarts in a row are no different)
    await s.consul.start();
    await waitFor(() => s.discovery.status.reachable === true && /checks not run yet/.test(s.health.verdict("web-1").reason), { what: "the agent back, web-http not run yet", timeout: 5000 });
    expect(s.health.verdict("web-1").ok).toBe(true);
    expect(consulApps(s.registry)).toEqual(["consul-web-1 10.1.1.1/32 8443"]);
    s.consul.setCheckStatus("web-http", "passing", "HTTP GET http://127.0.0.1:8443/: 200 OK");
    await waitFor(() => s.health.verdict("web-1").reason === "1 check passing", { what: "the hold over", timeout: 3000 });
    expect(s.health.nextExpiry()).toBeNull();
    expect(s.logs.filter((l) => /ERROR consul_not_visible .*the agent left the cluster/.test(l))).toHaveLength(1);
  });
});

describe("ACLs that hide some services", () => {
  it("a service that vanishes from a filtered answer is kept while the agent has it (403), removed once it is gone (404)", async () => {
    const rules = (services: Record<string, "read">) => ({ rules: { node: { edge1: "read" as const }, service: services } });
    const s = await setup({ token: "scoped", node: "edge1", hold: 10_000 }, { aclTokens: { scoped: rules({ web: "read", api: "read" }), [TOKEN]: { management: true } } });
    s.consul.registerService({ ...web, Check: { CheckID: "web-ttl", TTL: "60s", Status: "passing" } });
    s.consul.registerService({ ID: "api-1", Name: "api", Tags: ["exacast", "exacast_vip=10.1.1.2/32", "exacast_port=9000"] });
    s.consul.registerService({ ID: "db-1", Name: "db", Tags: ["exacast", "exacast_vip=10.1.1.3/32", "exacast_port=5432"] });
    const removed: string[] = [];
    s.registry.on((ev) => void (ev.kind === "removed" && removed.push(ev.entry.spec.name)));
    s.discovery.start();
    await waitFor(() => consulApps(s.registry).length === 2, { what: "web and api", timeout: 3000 });
    expect(s.logs.filter((l) => /WARN  consul_acl_filtered/.test(l))).toHaveLength(1); // db is hidden from the start
    await watching(s);
    // The policy changes: as in Consul, a query already blocked keeps the rules it started
    // with, so the change shows from the next query, answered at the next change.
    s.consul.setToken("scoped", rules({ api: "read" }));
    const updates = s.discovery.status.updates;
    s.consul.registerService({ ID: "other", Name: "other" });
    await waitFor(() => s.discovery.status.updates > updates, { what: "an update", timeout: 3000 });
    await watching(s);
    s.consul.registerService({ ID: "other2", Name: "other2" });
    await waitFor(() => s.logs.some((l) => l.includes("consul_service_hidden")), { what: "web hidden", timeout: 3000 });
    expect(consulApps(s.registry).sort()).toEqual(["consul-api-1 10.1.1.2/32 9000", "consul-web-1 10.1.1.1/32 8443"]);
    expect(removed).toEqual([]);
    expect(s.health.verdict("web-1")).toMatchObject({ ok: true, reason: expect.stringMatching(/^1 check passing \(held: hidden from this token by ACLs for /) });
    expect(s.discovery.status.hidden).toBe(1);
    await watching(s);
    s.consul.deregisterService("web-1");
    await waitFor(() => consulApps(s.registry).length === 1, { what: "web gone", timeout: 3000 });
    expect(consulApps(s.registry)).toEqual(["consul-api-1 10.1.1.2/32 9000"]);
    expect(removed).toEqual(["consul-web-1"]);
    expect(s.discovery.status.hidden).toBe(0);
  });
});

describe("leader loss", () => {
  it("?stale reads go on without a leader: no error, a warning, changes after the election seen", async () => {
    const s = await setup({ node: "edge1", wait: 1000 }, { aclToken: TOKEN, rpcHoldTimeoutMs: 7000 });
    s.consul.registerService({ ...web, Check: { CheckID: "web-ttl", TTL: "60s", Status: "passing" } });
    s.discovery.start();
    await waitFor(() => s.health.verdict("web-1").ok, { what: "web-1 healthy", timeout: 3000 });
    const lost = Date.now();
    s.consul.setLeader(false);
    await waitFor(() => s.logs.some((l) => l.includes("consul_no_leader")), { what: "the warning", timeout: 3000 });
    // Queries sent after the leader was lost are answered (a non-stale one would wait 7 s, then fail).
    const answeredWithout = () => s.consul.requests.filter((r) => r.path === "/v1/health/node/edge1" && r.status === 200 && r.at - r.ms > lost).length;
    await waitFor(() => answeredWithout() >= 1, { what: "a query sent without a leader, answered", timeout: 3000 });
    expect([s.discovery.status.reachable, s.discovery.status.leader, s.health.verdict("web-1").ok]).toEqual([true, false, true]);
    s.consul.registerService({ ID: "api-1", Name: "api", Tags: ["exacast", "exacast_vip=10.1.1.2/32"] }); // waits for the leader
    s.consul.setLeader(true);
    await waitFor(() => consulApps(s.registry).length === 2, { what: "api-1 after the election", timeout: 3000 });
    expect(s.logs.filter((l) => /ERROR/.test(l))).toEqual([]);
    expect(s.logs.some((l) => l.includes("consul_leader"))).toBe(true);
  });

  it("without ?stale a blocking read waits wait + rpc_hold_timeout for a leader: the request outlasts it, and the error is Consul's, not a time-out", async () => {
    const s = await setup({ node: "edge1", wait: 1000, stale: false }, { aclToken: TOKEN, rpcHoldTimeoutMs: 7000 });
    s.consul.registerService({ ...web, Check: { CheckID: "web-ttl", TTL: "60s", Status: "passing" } });
    s.discovery.start();
    await waitFor(() => s.health.verdict("web-1").ok, { what: "web-1 healthy", timeout: 3000 });
    await watching(s);
    const t0 = performance.now();
    s.consul.setLeader(false);
    await waitFor(() => s.discovery.status.reachable === false, { what: "the 500", timeout: 15_000 });
    const took = performance.now() - t0;
    console.log(`non-stale blocking read without a leader failed after ${took.toFixed(0)} ms (wait 1 s + wait/16 + hold 7 s)`);
    expect(took).toBeGreaterThan(7000);
    expect(s.discovery.status.lastError).toMatch(/HTTP 500: No cluster leader/);
    expect(s.health.verdict("web-1").ok).toBe(true); // held
    s.consul.setLeader(true);
    await waitFor(() => s.discovery.status.reachable === true, { what: "recovery", timeout: 5000 });
  }, 20_000);
});

describe("the index goes backwards", () => {
  it("after a snapshot restore the watches start over and see what changes next", async () => {
    const s = await setup({ node: "edge1" });
    s.consul.registerService({ ...web, Check: { CheckID: "web-ttl", TTL: "60s", Status: "passing" } });
    s.discovery.start();
    await waitFor(() => consulApps(s.registry).length === 1, { what: "web-1", timeout: 3000 });
    await watching(s);
    s.consul.rewindIndex(2);
    s.consul.registerService({ ID: "api-1", Name: "api", Tags: ["exacast", "exacast_vip=10.1.1.2/32"] });
    await waitFor(() => consulApps(s.registry).length === 2, { what: "api-1 after the restore", timeout: 3000 });
    expect(s.logs.filter((l) => l.includes("consul_index_reset")).length).toBeGreaterThanOrEqual(1);
  });
});
