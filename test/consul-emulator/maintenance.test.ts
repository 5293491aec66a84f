// Maintenance mode: the agent registers a critical check of its own,
// `_node_maintenance` or `_service_maintenance:<id>`, the reason in Notes.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { get, put } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";
import { DEFAULT_NODE_REASON, DEFAULT_SERVICE_REASON } from "./maintenance.js";

let c: ConsulEmulator;
beforeEach(async () => {
  c = await startConsulEmulator({ node: "edge1" });
  c.registerService({ ID: "web-1", Name: "web", Check: { CheckID: "web-ttl", TTL: "30s", Status: "passing" } });
});
afterEach(async () => {
  await c.close();
});

type Check = { CheckID: string; Name: string; Status: string; Notes: string; ServiceID: string; ServiceName: string };
const nodeChecks = async () => (await get(c, "/v1/health/node/edge1")).json as Check[];

describe("maintenance mode", () => {
  it("of the node: _node_maintenance, critical, the reason in Notes; every service is unhealthy", async () => {
    expect((await put(c, "/v1/agent/maintenance?enable=true&reason=kernel%20upgrade")).status).toBe(200);
    expect((await nodeChecks()).find((k) => k.CheckID === "_node_maintenance")).toMatchObject({
      Name: "Node Maintenance Mode", Status: "critical", Notes: "kernel upgrade", ServiceID: "", ServiceName: "",
    });
    expect((await get(c, "/v1/health/service/web?passing")).json).toEqual([]);
    await put(c, "/v1/agent/maintenance?enable=true&reason=other"); // already on: the first reason stays
    expect((await nodeChecks()).find((k) => k.CheckID === "_node_maintenance")?.Notes).toBe("kernel upgrade");
    await put(c, "/v1/agent/maintenance?enable=false");
    expect((await nodeChecks()).map((k) => k.CheckID)).toEqual(["serfHealth", "web-ttl"]);
    c.nodeMaintenance(true);
    expect((await nodeChecks()).find((k) => k.CheckID === "_node_maintenance")?.Notes).toBe(DEFAULT_NODE_REASON);
  });

  it("of a service: _service_maintenance:<id> on that service only", async () => {
    c.registerService({ ID: "api-1", Name: "api" });
    expect((await put(c, "/v1/agent/service/maintenance/web-1?enable=true&reason=deploy")).status).toBe(200);
    expect((await nodeChecks()).find((k) => k.CheckID === "_service_maintenance:web-1")).toMatchObject({
      Name: "Service Maintenance Mode", Status: "critical", Notes: "deploy", ServiceID: "web-1", ServiceName: "web",
    });
    expect(((await get(c, "/v1/health/service/api?passing")).json as unknown[]).length).toBe(1);
    c.serviceMaintenance("web-1", false);
    c.serviceMaintenance("api-1", true);
    expect((await nodeChecks()).find((k) => k.ServiceID === "api-1")?.Notes).toBe(DEFAULT_SERVICE_REASON);
    c.deregisterService("api-1"); // its maintenance check goes with it
    expect((await nodeChecks()).map((k) => k.CheckID)).toEqual(["serfHealth", "web-ttl"]);
  });

  it("answers bad requests with the agent's texts, and keeps maintenance across a restart", async () => {
    const cases: [string, number, string][] = [
      ["/v1/agent/maintenance", 400, "Missing value for enable"],
      ["/v1/agent/maintenance?enable=maybe", 400, 'Invalid value for enable: "maybe"'],
      ["/v1/agent/service/maintenance/?enable=true", 400, "Missing service ID"],
      ["/v1/agent/service/maintenance/nope?enable=true", 404, 'No service registered with ID "nope"'],
    ];
    for (const [path, status, text] of cases) {
      const r = await put(c, path);
      expect([r.status, r.text], path).toEqual([status, text]);
    }
    c.serviceMaintenance("web-1", true, "deploy");
    await c.stop();
    await c.start();
    // (fetch may first try a keep-alive socket the stop cut)
    const after = await waitFor(() => nodeChecks(), { timeout: 3000, what: "the restarted agent" });
    expect(after.find((k) => k.CheckID === "_service_maintenance:web-1")).toMatchObject({ Status: "critical", Notes: "deploy" });
  });
});
