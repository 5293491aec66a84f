import { describe, expect, it } from "vitest";
import type { HealthCheck } from "../src/consul/client.js";
import { checksOf, servicesOf } from "../src/consul/client.js";
import { runCheck } from "../src/checks/index.js";
import { nextIndex } from "../src/consul/discovery.js";
import { ConsulHealth } from "../src/consul/health.js";
import type { ConsulService } from "../src/consul/tags.js";
import { consulAppName, serviceApp } from "../src/consul/tags.js";

const opts = { tag: "exacast", allowExec: false };
const svc = (tags: string[], over: Partial<ConsulService> = {}): ConsulService => ({ id: "web-1", name: "web", tags, port: 8443, ...over });

describe("Consul tags → app", () => {
  it("exacast tags: vip required, ports default to the service's Port, checks default to consul", () => {
    expect(serviceApp(svc(["exacast", "exacast_vip=10.1.1.1/32"]), opts)).toEqual({
      kind: "app",
      name: "consul-web-1",
      input: { name: "consul-web-1", vips: ["10.1.1.1/32"], ports: [8443], checks: [{ consul: { service: "web-1" } }] },
    });
    expect(
      serviceApp(svc(["exacast", "exacast_vip=10.1.1.1/32", "exacast_vip=2001:db8::1/128", "exacast_port=443", "exacast_port=80", "exacast_check=tcp:127.0.0.1:443", "exacast_check=http:http://127.0.0.1/h?x=1", "exacast_check=consul"]), opts),
    ).toEqual({
      kind: "app",
      name: "consul-web-1",
      input: {
        name: "consul-web-1",
        vips: ["10.1.1.1/32", "2001:db8::1/128"],
        ports: [80, 443],
        checks: [{ tcp: "127.0.0.1:443" }, { http: "http://127.0.0.1/h?x=1" }, { consul: { service: "web-1" } }],
      },
    });
  });

  it("services without the tag are not ours; a custom tag is honoured", () => {
    expect(serviceApp(svc(["exacast_vip=10.1.1.1/32"]), opts)).toBeNull();
    expect(serviceApp(svc(["anycast", "exacast_vip=10.1.1.1/32"]), { ...opts, tag: "anycast" })?.kind).toBe("app");
  });

  it("GoCast tags: enable_gocast, gocast_vip, gocast_monitor (port:tcp:P is a port of the app)", () => {
    expect(serviceApp(svc(["enable_gocast", "gocast_vip=10.2.2.2/32", "gocast_monitor=port:tcp:5000", "gocast_monitor=consul"], { port: 0 }), opts)).toEqual({
      kind: "app",
      name: "consul-web-1",
      input: { name: "consul-web-1", vips: ["10.2.2.2/32"], ports: [5000], checks: [{ tcp: "127.0.0.1:5000" }, { consul: { service: "web-1" } }] },
    });
  });

  it("invalid tags skip the service, each problem naming the tag", () => {
    const r = serviceApp(
      svc([
        "exacast",
        "exacast_vip=10.1.1.1/32\nannounce route 0.0.0.0/0 next-hop self",
        "exacast_port=http",
        "exacast_check=ping:x",
        "exacast_check=tcp:nope",
        "exacast_check=exec:/bin/true",
        "exacast_vips=10.0.0.1/32",
        "gocast_nat=tcp:80:8080",
      ]),
      opts,
    );
    expect(r).toEqual({
      kind: "skip",
      problems: [
        'tag "exacast_vip=10.1.1.1/32\\nannounce route 0.0.0.0/0 next-hop self": invalid prefix "10.1.1.1/32\\nannounce route 0.0.0.0/0 next-hop self": length must be 0..32',
        'tag "exacast_port=http": expected a port number 1..65535',
        'tag "exacast_check=ping:x": expected consul, tcp:<host:port>, http:<url> or exec:<command>',
        'tag "exacast_check=tcp:nope": expected host:port, got "nope"',
        'tag "exacast_check=exec:/bin/true": exec checks from Consul tags run commands on this host and are refused; set consul.allow_exec: true in the config to allow them',
        'tag "exacast_vips=10.0.0.1/32": unknown exacast tag; expected exacast_vip=, exacast_port=, exacast_check=',
        'tag "gocast_nat=tcp:80:8080": GoCast\'s NAT rules are not supported by exacast (it announces routes only)',
      ],
    });
    expect(serviceApp(svc(["exacast", "exacast_port=80"]), opts)).toEqual({ kind: "skip", problems: ["no exacast_vip=<prefix> (or gocast_vip=) tag: a VIP is required"] });
  });

  it("exec checks from tags only with consul.allow_exec, run by the shell as GoCast does", () => {
    const r = serviceApp(svc(["exacast", "exacast_vip=10.1.1.1/32", "exacast_check=exec:pgrep -x nginx"]), { ...opts, allowExec: true });
    expect(r?.kind === "app" && r.input.checks).toEqual([{ exec: { command: "pgrep -x nginx", shell: true } }]);
  });

  it("app names: consul-<id>, or a safe prefix and a hash of the ID", () => {
    expect(consulAppName("web-1")).toBe("consul-web-1");
    expect(consulAppName("web 1")).toMatch(/^consul-web_1-[0-9a-f]{8}$/);
    expect(consulAppName("web 1")).not.toBe(consulAppName("web_1"));
    expect(consulAppName("x".repeat(200))).toMatch(/^consul-x{48}-[0-9a-f]{8}$/);
    expect(consulAppName("a\nb")).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
    expect(consulAppName("x".repeat(57))).toBe(`consul-${"x".repeat(57)}`);
  });
});

describe("Consul answers are checked for shape", () => {
  it("catalog node: a map or a list of services; null when the node is not visible", () => {
    expect(servicesOf(null)).toBeNull();
    expect(servicesOf({ Node: {}, Services: { a: { ID: "a", Service: "web", Tags: ["x", 1], Port: 80 }, b: { Service: "no id" } } })).toEqual([{ id: "a", name: "web", tags: ["x"], port: 80 }]);
    expect(servicesOf({ Services: [{ ID: "a", Service: "web", Tags: null, Port: -1 }] })).toEqual([{ id: "a", name: "web", tags: [], port: 0 }]);
    expect(() => servicesOf("nope")).toThrow(/not a JSON object/);
  });

  it("health node: a list of checks", () => {
    expect(checksOf([{ CheckID: "serfHealth", Status: "passing", ServiceID: "", Output: "ok" }, { Status: "x" }])).toEqual([
      { checkId: "serfHealth", status: "passing", output: "ok", serviceId: "", serviceName: "" },
    ]);
    expect(() => checksOf({})).toThrow(/not a JSON array/);
  });

  it("blocking-query indexes: never below 1, reset when they go backwards", () => {
    expect(nextIndex(null, "42")).toBe("42");
    expect(nextIndex("42", "43")).toBe("43");
    expect(nextIndex("42", "7")).toBe("0");
    expect(nextIndex(null, "0")).toBe("1");
    expect(nextIndex("5", null)).toBeNull();
    expect(nextIndex("5", "abc")).toBeNull();
  });
});

describe("consul checks read the last answer", () => {
  const serf = (status = "passing"): HealthCheck => ({ checkId: "serfHealth", status, output: "", serviceId: "", serviceName: "" });
  const chk = (id: string, service: string, status: string, output = ""): HealthCheck => ({ checkId: id, status, output, serviceId: service, serviceName: "web" });
  const setup = () => {
    let t = 0;
    const h = new ConsulHealth(30_000, () => t, "edge1");
    return { h, at: (ms: number) => (t = ms) };
  };

  it("passes when the node's and the service's checks all pass; a service without checks passes", () => {
    const { h } = setup();
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "no answer from Consul yet" });
    h.setServices([svc([]), svc([], { id: "db", name: "db" })]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing")]);
    expect(h.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing" });
    expect(h.verdict("web")).toEqual({ ok: true, reason: "1 check passing" });
    expect(h.verdict("db")).toEqual({ ok: true, reason: "no checks (Consul counts the service healthy)" });
    expect(h.verdict("gone")).toEqual({ ok: false, reason: 'service "gone" is not registered on node edge1' });
  });

  it("fails on warning or critical, the node's own checks included", () => {
    const { h } = setup();
    h.setServices([svc([])]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "warning", "slow\n")]);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "check web-ttl is warning: slow" });
    h.setChecks([serf("critical"), chk("web-ttl", "web-1", "passing")]);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "node check serfHealth is critical" });
  });

  it("an answer without node checks fails (ACLs hide what a token may not read)", () => {
    const { h } = setup();
    h.setServices([svc([])]);
    h.setChecks([]);
    expect(h.verdict("web-1").ok).toBe(false);
    expect(h.verdict("web-1").reason).toMatch(/no node checks .*node:read/);
  });

  it("holds the last result for `hold` once Consul stops answering, then fails", () => {
    const { h, at } = setup();
    h.setServices([svc([])]);
    h.setChecks([serf(), chk("web-ttl", "web-1", "passing")]);
    at(1000);
    h.lost();
    at(20_000);
    h.lost();
    expect(h.verdict("web-1")).toEqual({ ok: true, reason: "1 check passing (held: no answer from Consul for 19s)" });
    at(31_000);
    expect(h.verdict("web-1")).toEqual({ ok: false, reason: "no answer from Consul for 30s (last results are held 30s)" });
    h.answered();
    expect(h.verdict("web-1").ok).toBe(true);
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
});
