import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { call, get, put } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

const TOKEN = "7d3a1c9e-acl-management";
// The management token and the anonymous token; least-privilege tokens further down.
let c: ConsulEmulator;
beforeEach(async () => {
  c = await startConsulEmulator({ aclToken: TOKEN });
  c.registerService({ Name: "web", Tags: ["exacast"], Check: { CheckID: "t", TTL: "30s" } });
});
afterEach(async () => {
  await c.close();
});

const DENIED = (perm: string, on: string) =>
  `Permission denied: anonymous token lacks permission '${perm}' on "${on}". The anonymous token is used implicitly when a request does not specify a token.`;

describe("ACL tokens", () => {
  it("accepts the token from ?token=, X-Consul-Token and Authorization: Bearer", async () => {
    const ways = [
      () => get(c, `/v1/agent/service/web?token=${TOKEN}`),
      () => get(c, "/v1/agent/service/web", { token: TOKEN }),
      () => get(c, "/v1/agent/service/web", { headers: { Authorization: `Bearer ${TOKEN}` } }),
    ];
    for (const way of ways) {
      const r = await way();
      expect([r.status, (r.json as { ID: string }).ID]).toEqual([200, "web"]);
    }
    expect(c.requests.map((r) => r.tokenSource)).toEqual(["query", "header", "bearer"]);
  });

  it("answers an unknown token with 403 ACL not found, everywhere", async () => {
    const cases: [string, string][] = [
      ["GET", "/v1/agent/services"],
      ["GET", "/v1/agent/service/web"],
      ["GET", "/v1/agent/checks"],
      ["GET", "/v1/health/service/web"],
      ["GET", "/v1/catalog/services"],
      ["PUT", "/v1/agent/check/pass/t"],
      ["PUT", "/v1/agent/service/deregister/web"],
    ];
    for (const [method, path] of cases) {
      const r = await call(c, method, path, { token: "wrong" });
      expect([r.status, r.text], `${method} ${path}`).toEqual([403, "ACL not found"]);
    }
    const bearer = await get(c, "/v1/agent/services", { headers: { Authorization: "Bearer wrong" } });
    expect(bearer.status).toBe(403);
    expect(Object.keys(c.services())).toEqual(["web"]);
  });

  it("gives no token (the anonymous token) 403 on single reads and writes", async () => {
    const cases: [string, string, unknown, string][] = [
      ["GET", "/v1/agent/service/web", undefined, DENIED("service:read", "web")],
      ["GET", "/v1/agent/self", undefined, DENIED("agent:read", "node1")],
      ["PUT", "/v1/agent/service/register", { Name: "db" }, DENIED("service:write", "db")],
      ["PUT", "/v1/agent/service/deregister/web", undefined, DENIED("service:write", "web")],
      ["PUT", "/v1/agent/check/pass/t", undefined, DENIED("service:write", "web")],
      ["PUT", "/v1/agent/check/register", { Name: "n", TTL: "5s" }, DENIED("node:write", "node1")],
    ];
    for (const [method, path, body, text] of cases) {
      const r = await call(c, method, path, { body });
      expect([r.status, r.text], `${method} ${path}`).toEqual([403, text]);
    }
    expect(Object.keys(c.services())).toEqual(["web"]);
    expect(c.checks().t?.Status).toBe("critical");
  });

  it("gives no token empty lists (Consul filters what the anonymous token may not read)", async () => {
    expect((await get(c, "/v1/agent/services")).json).toEqual({});
    expect((await get(c, "/v1/agent/checks")).json).toEqual({});
    expect((await get(c, "/v1/health/service/web")).json).toEqual([]);
    expect((await get(c, "/v1/catalog/services")).json).toEqual({});
    expect((await get(c, "/v1/agent/services", { token: TOKEN })).json).toHaveProperty("web");
  });

  it("says the default policy is deny", async () => {
    expect((await get(c, "/v1/agent/services", { token: TOKEN })).headers.get("x-consul-default-acl-policy")).toBe("deny");
  });

  it("lets the management token write", async () => {
    expect((await put(c, "/v1/agent/service/register", { token: TOKEN, body: { Name: "db" } })).status).toBe(200);
    expect((await put(c, "/v1/agent/check/pass/t", { token: TOKEN })).status).toBe(200);
    expect(c.checks().t?.Status).toBe("passing");
  });

  it("ignores tokens when ACLs are off", async () => {
    const open = await startConsulEmulator();
    try {
      expect((await get(open, "/v1/agent/services", { token: "anything" })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe("least-privilege tokens: rules, node and service identities", () => {
  const READER = "reader-token"; // node "edge1" read, service_prefix "" read, agent "edge1" read
  const NODE_ID = "node-identity-token";
  const SVC_ID = "service-identity-token";
  const ONLY_WEB = "only-web-token";
  let z: ConsulEmulator;
  beforeEach(async () => {
    z = await startConsulEmulator({
      node: "edge1",
      aclTokens: {
        [READER]: { rules: { node: { edge1: "read" }, service_prefix: { "": "read" }, agent: { edge1: "read" } } },
        [NODE_ID]: { nodeIdentities: ["edge1"] },
        [SVC_ID]: { serviceIdentities: ["web"] },
        [ONLY_WEB]: { rules: { node: { edge1: "read" }, service: { web: "read" } } },
      },
    });
    z.registerService({ ID: "web-1", Name: "web", Check: { CheckID: "web-ttl", TTL: "30s", Status: "passing" } });
    z.registerService({ ID: "api-1", Name: "api", Check: { CheckID: "api-ttl", TTL: "30s", Status: "passing" } });
  });
  afterEach(async () => {
    await z.close();
  });

  const nodeServices = async (token: string) => {
    const r = await get(z, "/v1/catalog/node/edge1", { token });
    const services = r.json === null ? null : Object.keys((r.json as { Services: object }).Services);
    return { services, filtered: r.headers.get("x-consul-results-filtered-by-acls") };
  };
  const nodeChecks = async (token: string) => {
    const r = await get(z, "/v1/health/node/edge1", { token });
    return { checks: (r.json as { CheckID: string }[]).map((k) => k.CheckID), filtered: r.headers.get("x-consul-results-filtered-by-acls") };
  };

  it("a token with node:read, service:read and agent:read reads the node, its services and checks, and /v1/agent/self", async () => {
    expect(await nodeServices(READER)).toEqual({ services: ["api-1", "consul", "web-1"], filtered: null });
    expect(await nodeChecks(READER)).toEqual({ checks: ["api-ttl", "serfHealth", "web-ttl"], filtered: null });
    expect((await get(z, "/v1/agent/self", { token: READER })).status).toBe(200);
  });

  it("node and service identities read the catalog but not /v1/agent/self (no agent:read); the agent's checks name the node", async () => {
    for (const token of [NODE_ID, SVC_ID]) {
      expect(await nodeServices(token)).toEqual({ services: ["api-1", "consul", "web-1"], filtered: null });
      expect((await nodeChecks(token)).checks).toEqual(["api-ttl", "serfHealth", "web-ttl"]);
      const self = await get(z, "/v1/agent/self", { token });
      expect(self.status, token).toBe(403);
      expect(self.text).toMatch(/^Permission denied: token with AccessorID '[0-9a-f-]{36}' lacks permission 'agent:read' on "edge1"$/);
      const checks = (await get(z, "/v1/agent/checks", { token })).json as Record<string, { Node: string }>;
      expect(checks["web-ttl"]?.Node).toBe("edge1");
    }
    // A node identity writes its node; a service identity its service and that service's sidecar.
    expect((await put(z, "/v1/agent/maintenance?enable=true", { token: NODE_ID })).status).toBe(200);
    expect((await put(z, "/v1/agent/check/pass/web-ttl", { token: SVC_ID })).status).toBe(200);
    expect((await put(z, "/v1/agent/check/pass/api-ttl", { token: SVC_ID })).status).toBe(403);
  });

  it("a token that may read only some services gets the rest filtered out, and X-Consul-Results-Filtered-By-ACLs: true", async () => {
    expect(await nodeServices(ONLY_WEB)).toEqual({ services: ["web-1"], filtered: "true" });
    expect(await nodeChecks(ONLY_WEB)).toEqual({ checks: ["serfHealth", "web-ttl"], filtered: "true" });
    const agent = await get(z, "/v1/agent/services", { token: ONLY_WEB });
    expect([Object.keys(agent.json as object), agent.headers.get("x-consul-results-filtered-by-acls")]).toEqual([["web-1"], "true"]);
    // One service: an unknown ID is 404 before ACLs are looked at; a known one it may not read is 403.
    expect((await get(z, "/v1/agent/service/gone", { token: ONLY_WEB })).status).toBe(404);
    const hidden = await get(z, "/v1/agent/service/api-1", { token: ONLY_WEB });
    expect([hidden.status, hidden.text.endsWith(`lacks permission 'service:read' on "api"`)]).toEqual([403, true]);
  });

  it("without node:read the node is null and its node checks hidden; the anonymous token never gets the header", async () => {
    z.setToken("no-node", { rules: { service_prefix: { "": "read" } } });
    expect(await nodeServices("no-node")).toEqual({ services: null, filtered: "true" });
    expect(await nodeChecks("no-node")).toEqual({ checks: [], filtered: "true" });
    const anon = await get(z, "/v1/catalog/node/edge1");
    expect([anon.text, anon.headers.get("x-consul-results-filtered-by-acls")]).toEqual(["null", null]);
  });

  it("a policy changed at run time takes effect at once; a deleted token is not found", async () => {
    z.setToken(ONLY_WEB, { rules: { node: { edge1: "read" }, service: { api: "read" } } });
    expect((await nodeServices(ONLY_WEB)).services).toEqual(["api-1"]);
    z.setToken(ONLY_WEB, { rules: { node_prefix: { "": "read" }, service_prefix: { "": "read" }, service: { api: "deny" } } });
    expect((await nodeServices(ONLY_WEB)).services).toEqual(["consul", "web-1"]);
    z.setToken(ONLY_WEB, null);
    expect((await get(z, "/v1/catalog/node/edge1", { token: ONLY_WEB })).text).toBe("ACL not found");
  });
});
