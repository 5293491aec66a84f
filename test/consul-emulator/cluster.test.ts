// The cluster behind the agent: leader loss (rpc_hold_timeout, ?stale), a
// graceful leave and a restart of the agent, a snapshot restore that sends
// indexes backwards. Each as Consul's source has it (rpc.go
// forwardRequestToLeader and canRetry, structs.QueryOptions.HasTimedOut,
// blockingquery's AbandonCh, agent leave → leader's handleLeftMember).

import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { get, put } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

let c: ConsulEmulator;
afterEach(async () => {
  await c.close();
});

const HOLD = 300;
const indexOf = (h: Headers) => Number(h.get("x-consul-index"));
const blocked = (n: number) => waitFor(() => c.blockedQueries === n, { timeout: 3000, what: `${n} blocked queries` });
/** A GET after a restart (fetch may first try a keep-alive socket the stop cut). */
const answered = (path: string) => waitFor(() => get(c, path), { timeout: 3000, what: path });
const ids = (json: unknown) => Object.keys((json as { Services: object }).Services);

async function setup(hold = HOLD): Promise<void> {
  c = await startConsulEmulator({ node: "edge1", rpcHoldTimeoutMs: hold });
  c.registerService({ ID: "web1", Name: "web", Port: 80, Check: { CheckID: "web-http", HTTP: "http://127.0.0.1/", Interval: "10s" } });
  c.setCheckStatus("web-http", "passing", "HTTP GET http://127.0.0.1/: 200 OK");
  c.registerService({ ID: "api1", Name: "api", Port: 81, Check: { CheckID: "api-ttl", TTL: "1m", Status: "passing" } });
}

describe("leader loss", () => {
  it("a ?stale read answers what the servers had, KnownLeader false and LastContact growing; the agent's changes reach the catalog once a leader is back", async () => {
    await setup();
    c.setLeader(false);
    c.registerService({ ID: "db1", Name: "db", Port: 5432 }); // the agent accepts it; the servers cannot write it
    const stale = await get(c, "/v1/catalog/node/edge1?stale");
    expect(stale.status).toBe(200);
    expect(ids(stale.json)).toEqual(["api1", "consul", "web1"]);
    expect([stale.headers.get("x-consul-knownleader"), stale.headers.get("x-consul-effective-consistency")]).toEqual(["false", "stale"]);
    expect(Number(stale.headers.get("x-consul-lastcontact"))).toBeGreaterThanOrEqual(0);
    expect(Object.keys((await get(c, "/v1/agent/services")).json as object)).toEqual(["api1", "db1", "web1"]);

    // A blocking stale read waits for the next change, which comes with the leader.
    const pending = get(c, `/v1/catalog/node/edge1?stale&index=${indexOf(stale.headers)}&wait=10s`);
    await blocked(1);
    c.setLeader(true);
    const after = await pending;
    expect(ids(after.json)).toEqual(["api1", "consul", "db1", "web1"]);
    expect([after.headers.get("x-consul-knownleader"), after.headers.get("x-consul-lastcontact")]).toEqual(["true", "0"]);
  });

  it("any other read is retried for rpc_hold_timeout, then fails 500 No cluster leader; a blocking one for the hold + wait + wait/16", async () => {
    await setup();
    const index = indexOf((await get(c, "/v1/health/node/edge1")).headers);
    c.setLeader(false);
    const plain = await get(c, "/v1/health/node/edge1");
    expect([plain.status, plain.text]).toEqual([500, "No cluster leader"]);
    expect(plain.ms).toBeGreaterThanOrEqual(HOLD - 5);
    expect(plain.ms).toBeLessThan(HOLD + 1000);
    const blocking = await get(c, `/v1/health/node/edge1?index=${index}&wait=400ms`);
    expect([blocking.status, blocking.text]).toEqual([500, "No cluster leader"]);
    expect(blocking.ms).toBeGreaterThanOrEqual(HOLD + 400 + 25 - 5);
    expect(blocking.ms).toBeLessThan(HOLD + 425 + 1000);
    // The agent's own endpoints do not need the servers.
    expect((await get(c, "/v1/agent/checks")).status).toBe(200);
  });

  it("a leader elected during the hold answers the waiting read as if nothing happened", async () => {
    await setup(10_000);
    c.setLeader(false);
    const pending = get(c, "/v1/catalog/services");
    await blocked(1);
    c.setLeader(true);
    const r = await pending;
    expect([r.status, r.headers.get("x-consul-knownleader")]).toEqual([200, "true"]);
    expect(r.json).toEqual({ api: [], consul: [], web: [] });
  });
});

describe("leave and restart", () => {
  it("a graceful leave deletes the node, its services and checks from the catalog; a blocked query answers [] at once", async () => {
    await setup();
    const first = await get(c, "/v1/health/node/edge1");
    const pending = get(c, `/v1/health/node/edge1?index=${indexOf(first.headers)}&wait=10s`);
    await blocked(1);
    c.leave();
    const r = await pending;
    expect([r.status, r.json, r.ms < 2000]).toEqual([200, [], true]);
    expect(indexOf(r.headers)).toBeGreaterThan(indexOf(first.headers));
    expect((await get(c, "/v1/catalog/node/edge1")).text).toBe("null");
    expect((await get(c, "/v1/health/service/web")).json).toEqual([]);
    // The agent itself still has them until it exits (and keeps them for its restart).
    expect(Object.keys((await get(c, "/v1/agent/services")).json as object)).toEqual(["api1", "web1"]);
  });

  it("after a restart: services kept, non-TTL checks critical with no output until they run, TTL checks keep their state, the node back with serfHealth passing", async () => {
    await setup();
    c.leave();
    await c.stop();
    await c.start({ rejoin: false });
    // Up, but not yet in the cluster: the catalog has no node.
    expect((await answered("/v1/health/node/edge1")).json).toEqual([]);
    c.join();
    const checks = (await get(c, "/v1/health/node/edge1")).json as { CheckID: string; Status: string; Output: string }[];
    expect(checks.map((k) => [k.CheckID, k.Status, k.Output])).toEqual([
      ["api-ttl", "passing", ""],
      ["serfHealth", "passing", "Agent alive and reachable"],
      ["web-http", "critical", ""],
    ]);
    expect(ids((await get(c, "/v1/catalog/node/edge1")).json)).toEqual(["api1", "consul", "web1"]);
    c.setCheckStatus("web-http", "passing", "HTTP GET http://127.0.0.1/: 200 OK"); // its first run
    expect(((await get(c, "/v1/health/service/web?passing")).json as unknown[]).length).toBe(1);
  });

  it("a restart without a leave (the process killed) also restarts the checks; start() rejoins a node that left", async () => {
    await setup();
    await c.stop();
    await c.start();
    expect(c.checks()["web-http"]).toMatchObject({ Status: "critical", Output: "" });
    c.leave();
    await c.stop();
    await c.start();
    expect(ids((await answered("/v1/catalog/node/edge1")).json)).toEqual(["api1", "consul", "web1"]);
  });
});

describe("a snapshot restore", () => {
  it("sends the index backwards: blocked queries answer at once with the lower index; a client keeping the old index misses the next change", async () => {
    await setup();
    const high = indexOf((await get(c, "/v1/catalog/node/edge1")).headers);
    const pending = get(c, `/v1/catalog/node/edge1?index=${high}&wait=10s`);
    await blocked(1);
    c.rewindIndex(3);
    const r = await pending;
    expect(r.ms).toBeLessThan(2000);
    expect(indexOf(r.headers)).toBeLessThanOrEqual(3);
    c.registerService({ ID: "db1", Name: "db" });
    // Blocking on the old, higher index: the registration is not seen (Consul's docs: reset to 0).
    const stuck = await get(c, `/v1/catalog/node/edge1?index=${high}&wait=300ms`);
    expect([stuck.ms >= 295, indexOf(stuck.headers) < high]).toEqual([true, true]);
    expect(ids((await get(c, "/v1/catalog/node/edge1?index=0")).json)).toContain("db1");
  });
});

describe("anti-entropy and EnableTagOverride", () => {
  it("tags another client writes to the catalog stay with EnableTagOverride, and are put back by the agent's sync without it", async () => {
    c = await startConsulEmulator({ node: "edge1" });
    c.registerService({ ID: "free", Name: "free", Tags: ["a"], EnableTagOverride: true });
    c.registerService({ ID: "owned", Name: "owned", Tags: ["a"] });
    const tags = async () => {
      const s = (await get(c, "/v1/catalog/node/edge1")).json as { Services: Record<string, { Tags: string[] }> };
      return [s.Services.free!.Tags, s.Services.owned!.Tags];
    };
    for (const id of ["free", "owned"]) {
      const r = await put(c, "/v1/catalog/register", { body: { Node: "edge1", Address: "127.0.0.1", Service: { ID: id, Service: id, Tags: ["b"] } } });
      expect([r.status, r.json]).toEqual([200, true]);
    }
    expect(await tags()).toEqual([["b"], ["b"]]);
    c.antiEntropy();
    expect(await tags()).toEqual([["b"], ["a"]]);
    expect((c.services().free as { Tags: string[] }).Tags).toEqual(["b"]); // the agent took the catalog's tags
  });
});
