import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { call, get, put } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

const TOKEN = "7d3a1c9e-acl-management";
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
