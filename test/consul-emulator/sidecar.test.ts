// Connect sidecars registered with their parent, as agent/sidecar_service.go
// fills them in: the parent's tags copied, kind connect-proxy, a port from
// 21000, two default checks; deregistered with the parent.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { get, put } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

let c: ConsulEmulator;
beforeEach(async () => {
  c = await startConsulEmulator({ node: "edge1" });
});
afterEach(async () => {
  await c.close();
});

type NodeService = { Kind: string; ID: string; Service: string; Tags: string[]; Port: number; Meta: Record<string, string>; Proxy: Record<string, unknown> };

describe("Connect sidecars", () => {
  it("a service with Connect.SidecarService {} brings a second service: <id>-sidecar-proxy, kind connect-proxy, the parent's tags, port 21000", async () => {
    const r = await put(c, "/v1/agent/service/register", {
      body: { ID: "web-1", Name: "web", Port: 8443, Tags: ["exacast", "exacast_vip=10.0.0.1/32"], Meta: { team: "edge" }, Connect: { SidecarService: {} } },
    });
    expect(r.status).toBe(200);
    const node = (await get(c, "/v1/catalog/node/edge1")).json as { Services: Record<string, NodeService> };
    expect(Object.keys(node.Services)).toEqual(["consul", "web-1", "web-1-sidecar-proxy"]);
    expect(node.Services["web-1"]!.Kind).toBe("");
    expect(node.Services["web-1-sidecar-proxy"]).toMatchObject({
      Kind: "connect-proxy", Service: "web-sidecar-proxy", Tags: ["exacast", "exacast_vip=10.0.0.1/32"], Port: 21000, Meta: { team: "edge" },
      Proxy: { DestinationServiceName: "web", DestinationServiceID: "web-1", LocalServiceAddress: "127.0.0.1", LocalServicePort: 8443 },
    });
    const checks = (await get(c, "/v1/health/checks/web-sidecar-proxy")).json as { CheckID: string; Name: string; Type: string; Status: string }[];
    expect(checks.map((k) => [k.CheckID, k.Name, k.Type, k.Status])).toEqual([
      ["service:web-1-sidecar-proxy:1", "Connect Sidecar Listening", "tcp", "critical"],
      ["service:web-1-sidecar-proxy:2", "Connect Sidecar Aliasing web-1", "alias", "critical"],
    ]);
    expect((c.services()["web-1-sidecar-proxy"] as { Proxy?: unknown }).Proxy).toMatchObject({ DestinationServiceID: "web-1" });
  });

  it("takes the next free port, keeps its own tags and port when given, and goes with its parent", async () => {
    c.registerService({ ID: "a", Name: "a", Connect: { SidecarService: {} } });
    c.registerService({ ID: "b", Name: "b", Tags: ["x"], Connect: { SidecarService: { Tags: ["mesh"], Port: 20500 } } });
    c.registerService({ ID: "d", Name: "d", Connect: { SidecarService: {} } });
    const s = c.services() as Record<string, { Port: number; Tags: string[]; Kind?: string }>;
    expect([s["a-sidecar-proxy"]!.Port, s["b-sidecar-proxy"]!.Port, s["d-sidecar-proxy"]!.Port]).toEqual([21000, 20500, 21001]);
    expect(s["b-sidecar-proxy"]!.Tags).toEqual(["mesh"]);
    c.registerService({ ID: "a", Name: "a", Port: 1, Connect: { SidecarService: {} } });
    expect((c.services()["a-sidecar-proxy"] as { Port: number }).Port).toBe(21000); // re-registered: same port
    c.deregisterService("a");
    expect(Object.keys(c.services())).toEqual(["b", "b-sidecar-proxy", "d", "d-sidecar-proxy"]);
    expect(Object.keys(c.checks())).not.toContain("service:a-sidecar-proxy:1");
  });

  it("needs service:write on the sidecar's name too", async () => {
    const z = await startConsulEmulator({ aclTokens: { w: { rules: { service: { web: "write" } } }, id: { serviceIdentities: ["web"] } } });
    try {
      const body = { Name: "web", Connect: { SidecarService: {} } };
      const denied = await put(z, "/v1/agent/service/register", { token: "w", body });
      expect([denied.status, denied.text.endsWith(`lacks permission 'service:write' on "web-sidecar-proxy"`)]).toEqual([403, true]);
      expect((await put(z, "/v1/agent/service/register", { token: "id", body })).status).toBe(200);
    } finally {
      await z.close();
    }
  });
});
