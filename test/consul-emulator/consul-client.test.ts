// The product talks to Consul through the `consul` npm client (v2): these
// tests prove that client reads and writes the emulator as it would a real
// agent, blocking calls and watches included.

import { EventEmitter } from "node:events";
import Consul from "consul";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

const TOKEN = "client-test-token";
let c: ConsulEmulator;
let consul: Consul;

beforeEach(async () => {
  c = await startConsulEmulator({ aclToken: TOKEN });
  consul = new Consul({ host: c.host, port: c.port, defaults: { token: TOKEN } });
});
afterEach(async () => {
  consul.destroy();
  await c.close();
});

type Entry = { Service: { ID: string; Tags: string[]; Port: number }; Checks: { Status: string }[] };

describe("the consul npm client against the emulator", () => {
  it("registers, lists and deregisters services and their checks", async () => {
    await consul.agent.service.register({ name: "web", id: "web1", tags: ["exacast"], port: 8080, address: "127.0.0.1", meta: { exacast_check: "consul" }, check: { ttl: "30s", timeout: "1s", name: "web ttl" } });
    await consul.agent.service.register({ name: "db", port: 5432 });

    const services = await consul.agent.service.list();
    expect(Object.keys(services)).toEqual(["db", "web1"]);
    expect(services.web1).toMatchObject({ ID: "web1", Service: "web", Tags: ["exacast"], Port: 8080, Address: "127.0.0.1", Meta: { exacast_check: "consul" } });

    const checks = await consul.agent.check.list();
    expect(checks["service:web1"]).toMatchObject({ Name: "web ttl", Status: "critical", ServiceID: "web1", ServiceName: "web", ServiceTags: ["exacast"] });
    await consul.agent.check.pass({ id: "service:web1", note: "ok" });
    expect((await consul.agent.check.list())["service:web1"]).toMatchObject({ Status: "passing", Output: "ok" });

    await consul.agent.service.deregister("db");
    expect(Object.keys(await consul.agent.service.list())).toEqual(["web1"]);
  });

  it("reads health and catalog", async () => {
    c.registerService({ ID: "web1", Name: "web", Tags: ["exacast"], Port: 80, Check: { CheckID: "a", TTL: "30s", Status: "passing" } });
    c.registerService({ ID: "web2", Name: "web", Port: 81, Check: { CheckID: "b", TTL: "30s" } });
    const all = (await consul.health.service("web")) as Entry[];
    expect(all.map((e) => e.Service.ID)).toEqual(["web1", "web2"]);
    const passing = (await consul.health.service({ service: "web", passing: true })) as Entry[];
    expect(passing.map((e) => e.Service.ID)).toEqual(["web1"]);
    expect((await consul.health.checks("web")).map((k) => k.CheckID)).toEqual(["a", "b"]);
    expect(await consul.catalog.service.list()).toEqual({ consul: [], web: ["exacast"] });
    expect((await consul.agent.self()).Config.NodeName).toBe("node1");
    expect(await consul.status.leader()).toBe("127.0.0.1:8300");
  });

  it("makes a blocking call with index and wait that returns on change", async () => {
    // The client hands back the response (and its X-Consul-Index) when its
    // ctx, an EventEmitter that can also cancel the call, asks for it.
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const [res0] = (await consul.health.service({ service: "web", ctx } as never)) as unknown as [{ headers: Record<string, string> }, Entry[]];
    const index = res0.headers["x-consul-index"]!;
    const started = Date.now();
    const pending = consul.health.service({ service: "web", index, wait: "10s", ctx } as never) as unknown as Promise<[{ headers: Record<string, string> }, Entry[]]>;
    await waitFor(() => c.blockedQueries === 1, { timeout: 3000, what: "the client to block" });
    c.registerService({ Name: "web", Port: 80 });
    const [res1, data] = await pending;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(Number(res1.headers["x-consul-index"])).toBeGreaterThan(Number(index));
    expect(data.map((e) => e.Service.ID)).toEqual(["web"]);
  });

  it("drives a watch on health.service through changes", async () => {
    const seen: string[][] = [];
    const watch = consul.watch({ method: consul.health.service, options: { service: "web", passing: true, wait: "5s" } as never });
    watch.on("change", (data: Entry[]) => seen.push(data.map((e) => e.Service.ID)));
    const errors: unknown[] = [];
    watch.on("error", (e: unknown) => errors.push(e));
    try {
      await waitFor(() => seen.length === 1, { timeout: 3000, what: "the first change" });
      c.registerService({ Name: "web", Check: { CheckID: "t", TTL: "30s", Status: "passing" } });
      await waitFor(() => seen.length === 2, { timeout: 3000, what: "the registration" });
      c.setCheckStatus("t", "critical");
      await waitFor(() => seen.length === 3, { timeout: 3000, what: "the check failing" });
      expect(seen).toEqual([[], ["web"], []]);
      expect(errors).toEqual([]);
    } finally {
      watch.end();
    }
  });

  it("fails a watch on agent.service.list, as it does against a real agent (no X-Consul-Index)", async () => {
    const watch = consul.watch({ method: consul.agent.service.list, options: {}, maxAttempts: 0 } as never);
    const err = await new Promise<Error>((resolve) => watch.on("error", resolve));
    watch.end();
    expect(err.message).toBe("Watch not supported");
  });

  it("surfaces ACL errors with Consul's status and text", async () => {
    const wrong = new Consul({ host: c.host, port: c.port, defaults: { token: "wrong" } });
    const anon = new Consul({ host: c.host, port: c.port });
    try {
      await expect(wrong.agent.service.list()).rejects.toMatchObject({ message: "ACL not found", statusCode: 403 });
      await expect(anon.agent.service.register({ name: "x" })).rejects.toMatchObject({ statusCode: 403 });
      expect(await anon.agent.service.list()).toEqual({});
    } finally {
      wrong.destroy();
      anon.destroy();
    }
  });

  it("sees connection errors during an outage and recovers after it", async () => {
    c.registerService({ Name: "web" });
    await c.stop();
    await expect(consul.agent.service.list()).rejects.toThrow(/ECONNREFUSED|socket|connect/i);
    await c.start();
    expect(Object.keys(await consul.agent.service.list())).toEqual(["web"]);
  });
});
