import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { get } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

let c: ConsulEmulator;
beforeEach(async () => {
  c = await startConsulEmulator({ node: "edge1" });
  c.registerService({ ID: "web1", Name: "web", Tags: ["exacast"], Port: 8080, Check: { CheckID: "web1-ttl", TTL: "30s", Status: "passing" } });
  c.registerService({ ID: "web2", Name: "web", Port: 8081, Check: { CheckID: "web2-ttl", TTL: "30s" } });
});
afterEach(async () => {
  await c.close();
});

type Entry = { Node: Record<string, unknown>; Service: Record<string, unknown>; Checks: { CheckID: string; Status: string }[] };

describe("health (/v1/health/…)", () => {
  it("lists instances with node, service and checks, and the query-meta headers", async () => {
    const r = await get(c, "/v1/health/service/web");
    expect(r.status).toBe(200);
    expect(Number(r.headers.get("x-consul-index"))).toBeGreaterThan(0);
    expect(r.headers.get("x-consul-knownleader")).toBe("true");
    expect(r.headers.get("x-consul-lastcontact")).toBe("0");
    expect(r.headers.get("x-consul-effective-consistency")).toBe("leader");
    const entries = r.json as Entry[];
    expect(entries.map((e) => e.Service.ID)).toEqual(["web1", "web2"]);
    const [web1, web2] = entries;
    expect(web1!.Node).toMatchObject({ Node: "edge1", Address: "127.0.0.1", Datacenter: "dc1", Meta: { "consul-network-segment": "" } });
    expect(web1!.Service).toMatchObject({
      ID: "web1", Service: "web", Tags: ["exacast"], Address: "", Meta: null, Port: 8080, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false,
    });
    expect(web2!.Service.Tags).toEqual([]); // health answers [] for nil Tags
    // serfHealth (the node's own check) comes with every instance.
    expect(web1!.Checks.map((k) => [k.CheckID, k.Status])).toEqual([["serfHealth", "passing"], ["web1-ttl", "passing"]]);
    expect(web1!.Checks[1]).toMatchObject({ Node: "edge1", ServiceID: "web1", ServiceName: "web", ServiceTags: ["exacast"] });
  });

  it("filters with ?passing, ?tag and ?filter", async () => {
    const ids = async (q: string) => ((await get(c, `/v1/health/service/web${q}`)).json as Entry[]).map((e) => e.Service.ID);
    expect(await ids("?passing")).toEqual(["web1"]);
    expect(await ids("?passing=false")).toEqual(["web1", "web2"]);
    expect(await ids("?tag=exacast")).toEqual(["web1"]);
    expect(await ids(`?filter=${encodeURIComponent('"exacast" in Service.Tags')}`)).toEqual(["web1"]);
    c.setCheckStatus("serfHealth", "critical", "Agent not live or unreachable");
    expect(await ids("?passing=1")).toEqual([]);
    const bad = await get(c, "/v1/health/service/web?passing=maybe");
    expect([bad.status, bad.text]).toEqual([400, "Invalid value for ?passing"]);
  });

  it("answers an unknown service with [] and an index, and a missing name with 400", async () => {
    const r = await get(c, "/v1/health/service/ghost");
    expect([r.status, r.json]).toEqual([200, []]);
    expect(Number(r.headers.get("x-consul-index"))).toBeGreaterThan(0);
    const missing = await get(c, "/v1/health/service/");
    expect([missing.status, missing.text]).toEqual([400, "Missing service name"]);
  });

  it("lists checks by service, node and state", async () => {
    const byService = (await get(c, "/v1/health/checks/web")).json as { CheckID: string; CreateIndex: number }[];
    expect(byService.map((k) => k.CheckID)).toEqual(["web1-ttl", "web2-ttl"]);
    expect(byService[0]!.CreateIndex).toBeGreaterThan(0); // catalog entries carry Raft indexes
    expect(((await get(c, "/v1/health/node/edge1")).json as { CheckID: string }[]).map((k) => k.CheckID)).toEqual(["serfHealth", "web1-ttl", "web2-ttl"]);
    expect(((await get(c, "/v1/health/state/critical")).json as { CheckID: string }[]).map((k) => k.CheckID)).toEqual(["web2-ttl"]);
    expect((await get(c, "/v1/health/node/elsewhere")).json).toEqual([]);
  });
});

describe("catalog and status (/v1/catalog/…, /v1/status/leader)", () => {
  it("lists service names with their tags, the server's own consul service included", async () => {
    const r = await get(c, "/v1/catalog/services");
    expect(r.json).toEqual({ consul: [], web: ["exacast"] });
    expect(Number(r.headers.get("x-consul-index"))).toBeGreaterThan(0);
  });

  it("lists a service's instances and a node's services", async () => {
    const nodes = (await get(c, "/v1/catalog/service/web")).json as Record<string, unknown>[];
    expect(nodes.map((n) => [n.Node, n.ServiceID, n.ServicePort, n.ServiceTags])).toEqual([["edge1", "web1", 8080, ["exacast"]], ["edge1", "web2", 8081, null]]);
    const node = (await get(c, "/v1/catalog/node/edge1")).json as { Node: { Node: string }; Services: Record<string, unknown> };
    expect([node.Node.Node, Object.keys(node.Services)]).toEqual(["edge1", ["consul", "web1", "web2"]]);
    const ns = (await get(c, "/v1/catalog/node-services/edge1")).json as { Services: { ID: string }[] };
    expect(ns.Services.map((s) => s.ID)).toEqual(["consul", "web1", "web2"]);
    expect((await get(c, "/v1/catalog/node/elsewhere")).text).toBe("null");
  });

  it("reports the leader, and \"\" without one (leader loss itself: cluster.test.ts)", async () => {
    expect((await get(c, "/v1/status/leader")).json).toBe("127.0.0.1:8300");
    c.setLeader(false);
    expect((await get(c, "/v1/status/leader")).json).toBe("");
    expect((await get(c, "/v1/agent/services")).status).toBe(200);
  });

  it("finds the node by name in any case, or by ID (the catalog indexes names lower-cased)", async () => {
    const node = (await get(c, "/v1/catalog/node/EDGE1")).json as { Node: { Node: string; ID: string } };
    expect(node.Node.Node).toBe("edge1");
    expect(((await get(c, "/v1/health/node/Edge1")).json as { Node: string }[]).map((k) => k.Node)).toEqual(["edge1", "edge1", "edge1"]);
    expect(((await get(c, `/v1/catalog/node/${node.Node.ID}`)).json as { Node: { Node: string } }).Node.Node).toBe("edge1");
  });

  it("refuses a foreign datacenter and ?stale with ?consistent", async () => {
    const dc = await get(c, "/v1/catalog/services?dc=dc9");
    expect([dc.status, dc.text]).toEqual([500, "No path to datacenter"]);
    const both = await get(c, "/v1/health/service/web?stale&consistent");
    expect([both.status, both.text]).toEqual([400, "Cannot specify ?stale with ?consistent, conflicting semantics."]);
    expect((await get(c, "/v1/health/service/web?stale")).headers.get("x-consul-effective-consistency")).toBe("stale");
  });
});
