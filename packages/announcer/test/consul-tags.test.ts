import { describe, expect, it } from "vitest";
import { checksOf, requestTimeoutMs, servicesOf } from "../src/consul/client.js";
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

  it("a sidecar (kind connect-proxy) copies its parent's tags but is not an app; nor is any other kind", () => {
    const tags = ["exacast", "exacast_vip=10.1.1.1/32"];
    expect(serviceApp(svc(tags, { id: "web-1-sidecar-proxy", name: "web-sidecar-proxy", port: 21000, kind: "connect-proxy" }), opts)).toBeNull();
    for (const kind of ["mesh-gateway", "terminating-gateway", "ingress-gateway", "api-gateway"]) expect(serviceApp(svc(tags, { kind }), opts), kind).toBeNull();
    expect(serviceApp(svc(tags, { kind: "" }), opts)?.kind).toBe("app");
  });

  it("GoCast tags: enable_gocast, gocast_vip, gocast_monitor (port:tcp:P listens on P, a port of the app)", () => {
    expect(serviceApp(svc(["enable_gocast", "gocast_vip=10.2.2.2/32", "gocast_monitor=port:tcp:5000", "gocast_monitor=port:udp:53", "gocast_monitor=consul"], { port: 0 }), opts)).toEqual({
      kind: "app",
      name: "consul-web-1",
      input: {
        name: "consul-web-1",
        vips: ["10.2.2.2/32"],
        ports: [53, 5000],
        checks: [{ listening: { protocol: "tcp", port: 5000 } }, { listening: { protocol: "udp", port: 53 } }, { consul: { service: "web-1" } }],
      },
    });
  });

  it("GoCast's other tags as its consul.go reads them: vip communities, nat, host bits masked with a warning", () => {
    const tags = ["enable_gocast", "gocast_vip=10.2.2.9/24", "gocast_vip_communities=111:222,333:444", "gocast_nat=tcp:53:8053", "gocast_nat=udp:53"];
    expect(serviceApp(svc(tags), opts)).toEqual({
      kind: "app",
      name: "consul-web-1",
      input: { name: "consul-web-1", vips: ["10.2.2.0/24"], ports: [8443], checks: [], communities: ["111:222", "333:444"], nat: ["tcp:53:8053", "udp:53"] },
      warnings: ['tag "gocast_vip=10.2.2.9/24": 10.2.2.9/24 has host bits set; announcing 10.2.2.0/24 as GoCast does'],
    });
    // exacast's own tag keeps refusing host bits.
    expect(serviceApp(svc(["exacast", "exacast_vip=10.2.2.9/24"]), opts)?.kind).toBe("skip");
  });

  it("no monitor tag: a GoCast service runs no check (GoCast: always healthy), an exacast one its Consul checks", () => {
    const gocast = serviceApp(svc(["enable_gocast", "gocast_vip=10.2.2.2/32"]), opts);
    expect(gocast?.kind === "app" && gocast.input.checks).toEqual([]);
    const both = serviceApp(svc(["enable_gocast", "exacast", "gocast_vip=10.2.2.2/32"]), opts);
    expect(both?.kind === "app" && both.input.checks).toEqual([{ consul: { service: "web-1" } }]);
    const custom = serviceApp(svc(["anycast", "enable_gocast", "gocast_vip=10.2.2.2/32"]), { ...opts, tag: "anycast" });
    expect(custom?.kind === "app" && custom.input.checks).toEqual([{ consul: { service: "web-1" } }]);
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
  it("catalog node: a map or a list of services, with their kind; null when the node is not visible", () => {
    expect(servicesOf(null)).toBeNull();
    expect(servicesOf({ Node: {}, Services: { a: { ID: "a", Service: "web", Tags: ["x", 1], Port: 80 }, b: { Service: "no id" } } })).toEqual([{ id: "a", name: "web", tags: ["x"], port: 80, kind: "" }]);
    expect(servicesOf({ Services: [{ ID: "a", Service: "web", Tags: null, Port: -1, Kind: "connect-proxy" }] })).toEqual([{ id: "a", name: "web", tags: [], port: 0, kind: "connect-proxy" }]);
    expect(() => servicesOf("nope")).toThrow(/not a JSON object/);
  });

  it("health node: a list of checks, with a maintenance check's Notes", () => {
    expect(checksOf([{ CheckID: "serfHealth", Status: "passing", ServiceID: "", Output: "ok" }, { Status: "x" }, { CheckID: "_node_maintenance", Status: "critical", Notes: "upgrade" }])).toEqual([
      { checkId: "serfHealth", status: "passing", output: "ok", serviceId: "", serviceName: "", notes: "" },
      { checkId: "_node_maintenance", status: "critical", output: "", serviceId: "", serviceName: "", notes: "upgrade" },
    ]);
    expect(() => checksOf({})).toThrow(/not a JSON array/);
  });

  it("a request may take what Consul may: wait + wait/16 + the 7 s rpc_hold_timeout, plus a margin", () => {
    expect(requestTimeoutMs({ index: "5", waitMs: 30_000, stale: true })).toBe(30_000 + 1875 + 7000 + 3000);
    expect(requestTimeoutMs({ index: null, waitMs: 30_000, stale: false })).toBe(10_000);
    expect(requestTimeoutMs(null)).toBe(10_000);
  });
});
