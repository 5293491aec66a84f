import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { get, put } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

let c: ConsulEmulator;
beforeEach(async () => {
  c = await startConsulEmulator();
});
afterEach(async () => {
  await c.close();
});

describe("service registration (/v1/agent/service/…)", () => {
  it("registers, lists and reads a service in api.AgentService shape", async () => {
    const r = await put(c, "/v1/agent/service/register", {
      body: { ID: "web1", Name: "web", Tags: ["exacast"], Port: 8080, Address: "127.0.0.1", Meta: { exacast_prefix: "10.0.0.1/32" } },
    });
    expect([r.status, r.text, r.headers.get("content-type")]).toEqual([200, "", null]);
    await put(c, "/v1/agent/service/register", { body: { Name: "api" } });

    const list = await get(c, "/v1/agent/services");
    expect(list.headers.get("content-type")).toBe("application/json");
    expect(list.headers.get("x-consul-index")).toBeNull(); // not a blocking endpoint
    expect(Object.keys(list.json as object)).toEqual(["api", "web1"]); // Go sorts map keys
    expect((list.json as Record<string, unknown>).web1).toEqual({
      ID: "web1", Service: "web", Tags: ["exacast"], Meta: { exacast_prefix: "10.0.0.1/32" }, Port: 8080, Address: "127.0.0.1",
      Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, Datacenter: "dc1",
    });
    // ID defaults to Name; nil Tags and Meta come back as [] and {}.
    expect((list.json as Record<string, unknown>).api).toMatchObject({ ID: "api", Service: "api", Tags: [], Meta: {}, Port: 0, Address: "" });

    const one = await get(c, "/v1/agent/service/web1");
    const hash = one.headers.get("x-consul-contenthash");
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(one.json).toMatchObject({ ID: "web1", Service: "web", ContentHash: hash });
    const missing = await get(c, "/v1/agent/service/nope");
    expect([missing.status, missing.text]).toEqual([404, "unknown service ID: nope"]);
  });

  it("accepts snake_case and lower-case keys, as the agent does", async () => {
    const r = await put(c, "/v1/agent/service/register", {
      body: { name: "db", id: "db-1", port: 5432, enable_tag_override: true, check: { check_id: "db-ttl", ttl: "30s" } },
    });
    expect(r.status).toBe(200);
    expect(c.services()["db-1"]).toMatchObject({ Service: "db", Port: 5432, EnableTagOverride: true });
    expect(c.checks()["db-ttl"]).toMatchObject({ ServiceID: "db-1", Type: "ttl" });
  });

  it("answers bad registrations with the agent's 400 texts", async () => {
    const cases: [unknown, string][] = [
      [{ Port: 80 }, "Missing service name"],
      ["{not json", "Request decode failed: "],
      ["", "Request decode failed: EOF"],
      [[1, 2], "Request decode failed: json: cannot unmarshal array into Go value of type structs.ServiceDefinition"],
      [{ Name: "x", Port: "80" }, "Request decode failed: json: cannot unmarshal string into Go struct field ServiceDefinition.Port of type int"],
      [{ Name: "x", Tags: "a" }, "Request decode failed: json: cannot unmarshal string into Go struct field ServiceDefinition.Tags of type []string"],
      [{ Name: "x", Address: "0.0.0.0" }, "Invalid service address"],
      [{ Name: "x", Meta: { "bad key": "v" } }, "Invalid Service Meta: Key contains invalid characters"],
      [{ Name: "x", Weights: { Passing: 0, Warning: 1 } }, "Invalid Weights: Passing must be greater than 0"],
      [{ Name: "x", Check: { Name: "c" } }, "Invalid check: TTL must be > 0 for TTL checks"],
      [{ Name: "x", Check: { HTTP: "http://127.0.0.1/" } }, "Invalid check: Interval must be > 0"],
      [{ Name: "x", Check: { TTL: "ten" } }, 'Request decode failed: time: invalid duration "ten"'],
      [{ Name: "x", Check: { TTL: "10s", Status: "ok" } }, "Status for checks must 'passing', 'warning', 'critical'"],
    ];
    for (const [body, text] of cases) {
      const r = await put(c, "/v1/agent/service/register", { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.text.startsWith(text), `${r.text} should start with ${text}`).toBe(true);
      expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    }
    expect(c.services()).toEqual({});
  });

  it("deregisters a service with its checks; an unknown ID is a 404", async () => {
    c.registerService({ Name: "web", Checks: [{ TTL: "10s" }, { TTL: "10s" }] });
    expect(Object.keys(c.checks())).toEqual(["service:web:1", "service:web:2"]);
    expect((await put(c, "/v1/agent/service/deregister/web")).status).toBe(200);
    expect([c.services(), c.checks()]).toEqual([{}, {}]);
    const r = await put(c, "/v1/agent/service/deregister/web");
    expect([r.status, r.text]).toEqual([404, 'Unknown service ID "web". Ensure that the service ID is passed, not the service name.']);
  });

  it("keeps a re-registered check's status, and replace-existing-checks drops the others", async () => {
    c.registerService({ Name: "web", Checks: [{ CheckID: "a", TTL: "10s" }, { CheckID: "b", TTL: "10s" }] });
    c.setCheckStatus("a", "passing");
    await put(c, "/v1/agent/service/register?replace-existing-checks", { body: { Name: "web", Tags: ["t"], Check: { CheckID: "a", TTL: "10s" } } });
    expect(Object.keys(c.checks())).toEqual(["a"]);
    expect(c.checks().a).toMatchObject({ Status: "passing", ServiceTags: ["t"] });
  });
});

describe("checks (/v1/agent/check/…, /v1/agent/checks)", () => {
  it("lists a service's TTL check, critical until it passes", async () => {
    c.registerService({ Name: "web", Tags: ["exacast"], Check: { TTL: "30s" } });
    const r = await get(c, "/v1/agent/checks");
    expect(r.json).toEqual({
      "service:web": {
        Node: "node1", CheckID: "service:web", Name: "Service 'web' check", Status: "critical", Notes: "", Output: "",
        ServiceID: "web", ServiceName: "web", ServiceTags: ["exacast"], Type: "ttl", Interval: "", Timeout: "",
        ExposedPort: 0, Definition: {}, CreateIndex: 0, ModifyIndex: 0,
      },
    });
  });

  it("sets TTL status with pass/warn/fail (?note) and update ({Status, Output})", async () => {
    c.registerService({ Name: "web", Check: { CheckID: "t", TTL: "30s" } });
    const status = () => [c.checks().t?.Status, c.checks().t?.Output];
    await put(c, "/v1/agent/check/pass/t?note=fine");
    expect(status()).toEqual(["passing", "fine"]);
    await put(c, "/v1/agent/check/warn/t");
    expect(status()).toEqual(["warning", ""]);
    await put(c, "/v1/agent/check/fail/t?note=down");
    expect(status()).toEqual(["critical", "down"]);
    expect((await put(c, "/v1/agent/check/update/t", { body: { Status: "passing", Output: "ok\nmore" } })).status).toBe(200);
    expect(status()).toEqual(["passing", "ok\nmore"]);

    const bad = await put(c, "/v1/agent/check/update/t", { body: { Status: "ok" } });
    expect([bad.status, bad.text]).toEqual([400, "Invalid check status: 'ok'"]);
    const unknown = await put(c, "/v1/agent/check/pass/nope");
    expect([unknown.status, unknown.text]).toEqual([404, 'Unknown check ID "nope". Ensure that the check ID is passed, not the check name.']);
  });

  it("refuses TTL updates of a non-TTL check with the agent's 500", async () => {
    c.registerCheck({ Name: "disk", TCP: "127.0.0.1:1", Interval: "10s" });
    const r = await put(c, "/v1/agent/check/pass/disk");
    expect([r.status, r.text]).toEqual([500, 'CheckID "disk" does not have associated TTL']);
    expect(c.checks().disk).toMatchObject({ Type: "tcp", Interval: "10s", Status: "critical", ServiceID: "" });
  });

  it("registers and deregisters a standalone check", async () => {
    c.registerService({ Name: "web" });
    expect((await put(c, "/v1/agent/check/register", { body: { Name: "web-ttl", ServiceID: "web", TTL: "5s", Status: "passing" } })).status).toBe(200);
    expect(c.checks()["web-ttl"]).toMatchObject({ CheckID: "web-ttl", ServiceName: "web", Status: "passing" });
    const noName = await put(c, "/v1/agent/check/register", { body: { TTL: "5s" } });
    expect([noName.status, noName.text]).toEqual([400, "Missing check name"]);
    const noSvc = await put(c, "/v1/agent/check/register", { body: { Name: "x", ServiceID: "ghost", TTL: "5s" } });
    expect([noSvc.status, noSvc.text]).toEqual([404, 'ServiceID "ghost" does not exist']);
    const badStatus = await put(c, "/v1/agent/check/register", { body: { Name: "x", TTL: "5s", Status: "up" } });
    expect([badStatus.status, badStatus.text]).toEqual([400, "Bad check status"]);
    expect((await put(c, "/v1/agent/check/deregister/web-ttl")).status).toBe(200);
    expect(c.checks()).toEqual({});
    expect((await put(c, "/v1/agent/check/deregister/web-ttl")).status).toBe(404);
  });

  it("turns a TTL check critical when its TTL runs out", async () => {
    c.registerService({ Name: "web", Check: { CheckID: "t", TTL: "300ms" } });
    await put(c, "/v1/agent/check/pass/t?note=alive");
    expect(c.checks().t?.Status).toBe("passing");
    const out = await waitFor(() => c.checks().t?.Status === "critical" && c.checks().t?.Output, { timeout: 3000, what: "TTL expiry" });
    expect(out).toBe("TTL expired (last output before timeout follows): alive");
  });
});

describe("agent service health (/v1/agent/health/service/…)", () => {
  it("answers the aggregated status with 200/429/503 and 404", async () => {
    c.registerService({ ID: "web1", Name: "web", Check: { CheckID: "a", TTL: "30s" } });
    c.registerService({ ID: "web2", Name: "web", Check: { CheckID: "b", TTL: "30s", Status: "passing" } });
    const byId = await get(c, "/v1/agent/health/service/id/web1");
    expect([byId.status, (byId.json as { AggregatedStatus: string }).AggregatedStatus]).toEqual([503, "critical"]);
    expect((await get(c, "/v1/agent/health/service/id/web2?format=text")).text).toBe("passing");
    c.setCheckStatus("a", "warning");
    const byName = await get(c, "/v1/agent/health/service/name/web", { headers: { Accept: "text/plain" } });
    expect([byName.status, byName.text]).toEqual([429, "warning"]);
    const none = await get(c, "/v1/agent/health/service/id/ghost?format=text");
    expect([none.status, none.text]).toEqual([404, "ServiceId ghost not found"]);
  });
});

describe("the agent itself", () => {
  it("describes itself (/v1/agent/self)", async () => {
    const r = await get(c, "/v1/agent/self");
    expect(r.json).toMatchObject({ Config: { Datacenter: "dc1", NodeName: "node1", Server: true }, Member: { Name: "node1", Addr: "127.0.0.1" } });
  });

  it("answers an unknown path with an empty 404 and a wrong method with 405 + Allow", async () => {
    const nf = await get(c, "/v1/agent/nothing-here");
    expect([nf.status, nf.text]).toEqual([404, ""]);
    const del = await get(c, "/v1/agent/service/register");
    expect([del.status, del.text, del.headers.get("allow")]).toEqual([405, "method GET not allowed", "OPTIONS,PUT"]);
    const opts = await fetch(`${c.url}/v1/agent/services`, { method: "OPTIONS" });
    expect([opts.status, opts.headers.get("allow")]).toEqual([200, "OPTIONS,GET"]);
    expect((await get(c, "/v1/agent/services")).headers.get("x-consul-default-acl-policy")).toBe("allow");
  });

  it("filters with ?filter= (a subset of the language) and pretty-prints with ?pretty", async () => {
    c.registerService({ Name: "web", Tags: ["exacast"], Port: 80 });
    c.registerService({ Name: "db", Port: 5432 });
    expect(Object.keys((await get(c, `/v1/agent/services?filter=${encodeURIComponent('"exacast" in Tags')}`)).json as object)).toEqual(["web"]);
    expect(Object.keys((await get(c, `/v1/agent/services?filter=${encodeURIComponent("Port == 5432 and Service != web")}`)).json as object)).toEqual(["db"]);
    const unsupported = await get(c, `/v1/agent/services?filter=${encodeURIComponent("Port == 1 or Port == 2")}`);
    expect([unsupported.status, unsupported.text.startsWith("emulator: unsupported filter")]).toEqual([400, true]);
    expect((await get(c, "/v1/agent/services?pretty")).text).toMatch(/^\{\n {4}"db": \{\n/);
  });

  it("logs every request with its token source", async () => {
    await get(c, "/v1/agent/services?token=q");
    await get(c, "/v1/agent/services", { headers: { Authorization: "Bearer b" } });
    expect(c.requests.map((r) => [r.path, r.token, r.tokenSource, r.status])).toEqual([
      ["/v1/agent/services", "q", "query", 200],
      ["/v1/agent/services", "b", "bearer", 200],
    ]);
  });
});
