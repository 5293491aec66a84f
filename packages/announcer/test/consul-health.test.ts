// ConsulHealth on a hand-moved clock: what a `consul` check says from the
// last answers, and when it holds a result instead of trusting or failing it.

import { describe, expect, it } from "vitest";
import { runAppChecks, runCheck } from "../src/checks/index.js";
import type { HealthCheck } from "../src/consul/client.js";
import { ConsulHealth } from "../src/consul/health.js";
import type { ConsulService } from "../src/consul/tags.js";

const svc = (id = "web-1", over: Partial<ConsulService> = {}): ConsulService => ({ id, name: id.replace(/-\d+$/, ""), tags: [], port: 80, ...over });
const serf = (status = "passing"): HealthCheck => ({ checkId: "serfHealth", status, output: status === "passing" ? "Agent alive and reachable" : "Agent not live or unreachable", serviceId: "", serviceName: "" });
const chk = (id: string, service: string, status: string, output = status === "passing" ? "ok" : ""): HealthCheck => ({ checkId: id, status, output, serviceId: service, serviceName: "web" });
const setup = (hold = 30_000) => {
  let t = 0;
  const h = new ConsulHealth(hold, () => t, "edge1");
  return { h, at: (ms: number) => (t = ms) };
};

describe("a consul check's verdict", () => {
  it("passes when the node's and the service's checks all pass; a service without checks passes", () => {
    const { h } = setup();
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "no answer from Consul yet" });
    h.setServices([svc(), svc("db")]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing")]);
    expect(h.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing" });
    expect(h.verdict("web")).toEqual({ ok: true, reason: "1 check passing" });
    expect(h.verdict("db")).toEqual({ ok: true, reason: "no checks (Consul counts the service healthy)" });
    expect(h.verdict("gone")).toEqual({ ok: false, reason: 'service "gone" is not registered on node edge1' });
  });

  it("fails on warning or critical, the node's own checks included — serfHealth or any other", () => {
    const { h } = setup();
    h.setServices([svc()]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "warning", "slow\n")]);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "check web-ttl is warning: slow" });
    h.setChecks([serf("critical"), chk("web-ttl", "web-1", "passing")]);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "node check serfHealth is critical: Agent not live or unreachable" });
    h.setChecks([serf(), { checkId: "disk", status: "critical", output: "disk 99% full", serviceId: "", serviceName: "" }, chk("web-ttl", "web-1", "passing")]);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "node check disk is critical: disk 99% full" });
  });

  it("maintenance mode, of the node or of the service, is maintenance with the operator's reason", () => {
    const { h } = setup();
    h.setServices([svc(), svc("api-1")]);
    const maint = (id: string, service: string, notes: string): HealthCheck => ({ checkId: id, status: "critical", output: "", serviceId: service, serviceName: "", notes });
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing"), maint("_service_maintenance:web-1", "web-1", "deploy 42")]);
    expect(h.verdict("web-1")).toEqual({ ok: false, maintenance: true, reason: "service web-1 is in Consul maintenance mode: deploy 42" });
    expect(h.verdict("api-1").ok).toBe(true);
    h.setChecks([serf(), maint("_node_maintenance", "", "kernel upgrade")]);
    expect(h.verdict("api-1")).toEqual({ ok: false, maintenance: true, reason: "node edge1 is in Consul maintenance mode: kernel upgrade" });
  });

  it("a sidecar sharing a name never stands for the service", () => {
    const { h } = setup();
    h.setServices([svc("web-1-sidecar-proxy", { name: "web", kind: "connect-proxy" })]);
    h.setChecks([serf()]);
    expect(h.verdict("web").ok).toBe(false);
  });

  it("an answer filtered by ACLs without node checks fails: the token may not read the node", () => {
    const { h } = setup();
    h.setServices([svc()]);
    h.setChecks([chk("web-ttl", "web-1", "passing")], true);
    expect(h.verdict("web-1").ok).toBe(false);
    expect(h.verdict("web-1").reason).toMatch(/no node checks .*node:read/);
  });
});

describe("held results", () => {
  it("holds the last result for `hold` once Consul stops answering, then fails; an answer ends it", () => {
    const { h, at } = setup();
    h.setServices([svc()]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing")]);
    at(1000);
    h.lost();
    at(20_000);
    h.lost();
    expect(h.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing (held: no answer from Consul for 19s)" });
    expect(h.nextExpiry()).toBe(31_000);
    at(31_000);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "no answer from Consul for 30s (last results are held 30s)" });
    h.answered();
    expect(h.verdict("web-1").ok).toBe(true);
    expect(h.nextExpiry()).toBeNull();
  });

  it("an empty answer after a leave (no serfHealth: the node is not in the catalog) is held like an outage, not every check gone", () => {
    const { h, at } = setup(10_000);
    h.setServices([svc()]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing")]);
    at(1000);
    h.setChecks([]);
    expect(h.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing (held: node edge1 not in Consul's catalog (the agent left or is restarting) for 0s)" });
    at(5000);
    h.answered(); // the same empty answer again: still absent, still held from 1 s
    expect(h.verdict("web-1").ok).toBe(true);
    at(11_000);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "node edge1 not in Consul's catalog (the agent left or is restarting) for 10s (last results are held 10s)" });
  });

  it("an empty first answer has nothing to hold: it fails, saying the node is not in the catalog", () => {
    const { h } = setup();
    h.setServices([svc()]);
    h.setChecks([]);
    expect(h.verdict("web-1").reason).toMatch(/^node edge1 is not in Consul's catalog \(no serfHealth\)/);
  });

  it("after a restart, checks back critical with no output hold what they said before until they run (or the hold runs out)", () => {
    const { h, at } = setup(10_000);
    h.setServices([svc()]);
    h.setChecks([serf(), chk("web-http", "web-1", "passing", "HTTP GET …: 200 OK")]);
    at(1000);
    h.setChecks([]); // the agent left
    at(3000);
    h.setChecks([serf(), chk("web-http", "web-1", "critical", "")]); // back, its check not run yet
    expect(h.verdict("web-1")).toMatchObject({ ok: true, reason: expect.stringMatching(/held: checks not run yet since the agent restarted for 2s/) });
    at(4000);
    h.setChecks([serf(), chk("web-http", "web-1", "passing", "HTTP GET …: 200 OK")]); // its first run
    expect(h.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing" });
    // Nothing is held any more: a check that really fails after its first run fails at once.
    h.setChecks([serf(), chk("web-http", "web-1", "critical", "HTTP GET …: 503")]);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "check web-http is critical: HTTP GET …: 503" });
  });

  it("critical with no output outside a restart is a plain failure; a check critical before stays critical", () => {
    const { h, at } = setup();
    h.setServices([svc(), svc("api-1")]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing"), chk("api-ttl", "api-1", "critical", "down")]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "critical", ""), chk("api-ttl", "api-1", "critical", "down")]);
    expect(h.verdict("web-1").ok).toBe(false);
    at(100);
    h.lost();
    h.setChecks([serf(), chk("web-ttl", "web-1", "critical", ""), chk("api-ttl", "api-1", "critical", "")]);
    expect(h.verdict("api-1").ok).toBe(false);
  });

  it("a service hidden by ACLs keeps its last checks for `hold`, then fails saying why", () => {
    const { h, at } = setup(10_000);
    h.setServices([svc(), svc("api-1")]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing"), chk("api-ttl", "api-1", "passing")]);
    at(1000);
    h.setHidden(new Set(["api-1"]));
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing")], true);
    expect(h.verdict("api-1")).toEqual({ ok: true, reason: "1 check passing (held: hidden from this token by ACLs for 0s)" });
    expect(h.nextExpiry()).toBe(11_000);
    at(11_000);
    expect(h.verdict("api-1")).toEqual({ ok: false, reason: 'service "api-1": hidden from this token by ACLs for 10s (last results are held 10s)' });
    expect(h.verdict("web-1").ok).toBe(true);
    h.setHidden(new Set());
    expect(h.nextExpiry()).toBeNull();
  });

  it("the checks of a hidden service are its last seen, even when the filtered health answer came first", () => {
    const { h } = setup();
    h.setServices([svc(), svc("api-1")]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing"), chk("api-ttl", "api-1", "warning", "slow")]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing")], true); // the checks watch was first
    h.setHidden(new Set(["api-1"])); // then the services watch finds api-1 hidden
    expect(h.verdict("api-1")).toEqual({ ok: false, reason: "check api-ttl is warning: slow (held: hidden from this token by ACLs for 0s)" });
  });
});

describe("the consul check kind", () => {
  it("asks the Consul verdict for its service (the app's name by default), and fails without Consul", async () => {
    const asked: string[] = [];
    const consul = (s: string) => (asked.push(s), { ok: s === "web-1", reason: s === "web-1" ? "1 check passing" : "check x is critical:\nsecond line" });
    expect(await runCheck({ kind: "consul", service: "web-1" }, { timeoutMs: 100, app: "consul-web-1", consul })).toMatchObject({ kind: "consul", ok: true, reason: "1 check passing" });
    expect(await runCheck({ kind: "consul", service: null }, { timeoutMs: 100, app: "web", consul })).toMatchObject({ ok: false, reason: "check x is critical: second line" });
    expect(asked).toEqual(["web-1", "web"]);
    expect(await runCheck({ kind: "consul", service: null }, { timeoutMs: 100, app: "web" })).toMatchObject({ ok: false, reason: "Consul discovery is not configured (consul: in the config)" });
  });

  it("Consul maintenance mode disables the app (DISABLED, as a maintenance file does), alone or beside other checks", async () => {
    const consul = () => ({ ok: false, maintenance: true, reason: "service web-1 is in Consul maintenance mode: deploy" });
    const alone = await runAppChecks([{ kind: "consul", service: "web-1" }], { timeoutMs: 100, app: "w", consul });
    expect([alone.pass, alone.disabled]).toEqual([false, true]);
    const two = await runAppChecks([{ kind: "file_absent", path: "/nonexistent/exacast-test" }, { kind: "consul", service: "web-1" }], { timeoutMs: 100, app: "w", consul });
    expect([two.pass, two.disabled, two.reason]).toEqual([false, true, "consul: service web-1 is in Consul maintenance mode: deploy"]);
  });
});
