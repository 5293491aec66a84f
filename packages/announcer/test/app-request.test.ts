import { describe, expect, it } from "vitest";
import type { RequestContext } from "../src/app-request.js";
import { parseJsonBody, validateApp } from "../src/app-request.js";
import { DEFAULT_TIMERS } from "../src/model.js";
import { parseGoCastRegister, parseGoCastUnregister, parseMonitor } from "../src/gocast.js";

const ctx = (over: Partial<RequestContext["rules"]> = {}): RequestContext => ({
  globals: { communityAsn: 12345, nextHop: "self", timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null },
  baseDir: "/etc/exacast",
  rules: { consul: false, exec: false, execRefused: "refused over HTTP", ...over },
});

const problems = (name: string, raw: unknown, c = ctx()) => {
  const r = validateApp(name, raw, "http", c);
  if (r.ok) throw new Error("expected problems");
  return r.error;
};

describe("PUT bodies: the config's app schema", () => {
  it("accepts an app without a name (the URL names it) and resolves it like the config", () => {
    const r = validateApp("web", { vip: "10.0.0.1/32", ports: [443, 80, 443], checks: [{ tcp: "127.0.0.1:443" }, { file_absent: "web.off" }], rise: 3 }, "http", ctx());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec).toMatchObject({
      name: "web",
      source: "http",
      ports: [80, 443],
      checks: [{ kind: "tcp", target: { host: "127.0.0.1", port: 443 } }, { kind: "file_absent", path: "/etc/exacast/web.off" }],
      timers: { ...DEFAULT_TIMERS, rise: 3 },
    });
    expect(r.value.input).toMatchObject({ name: "web", vip: "10.0.0.1/32" });
  });

  it("lists every problem by path, the refused check kinds included", () => {
    expect(
      problems("web", {
        vip: "10.0.0.1/32\nannounce route 0.0.0.0/0 next-hop self",
        ports: [0, 70000, "80"],
        checks: [{ exec: ["/bin/true"] }, { consul: {} }, { tcp: "127.0.0.1:80 extra" }],
        communities: ["65000:1\n"],
        colour: "blue",
      }),
    ).toEqual([
      'vip: invalid prefix "10.0.0.1/32\\nannounce route 0.0.0.0/0 next-hop self": length must be 0..32',
      "ports[0]: expected a port number 1..65535",
      "ports[1]: expected a port number 1..65535",
      "ports[2]: expected a port number 1..65535",
      'checks[2].tcp: expected host:port, got "127.0.0.1:80 extra"',
      expect.stringMatching(/^communities\[0\]: /),
      '(root): Unrecognized key: "colour"',
      "checks[0].exec: refused over HTTP",
      "checks[1].consul: a consul check needs Consul discovery: set consul: in the config",
    ]);
  });

  it("the body's name must be the URL's; names follow the config's rules", () => {
    expect(problems("web", { name: "api", vip: "10.0.0.1/32" })).toEqual([
      'name: the body names "api", the URL "web"; leave name out of the body or make them equal',
    ]);
    expect(problems("we\nb", { vip: "10.0.0.1/32" })).toEqual(['name: expected 1-64 characters of A-Z a-z 0-9 _ . -, got "we\\nb"']);
    expect(problems("x".repeat(65), {})[0]).toMatch(/^name: expected 1-64/);
  });

  it("one JSON object, nothing else", () => {
    expect(problems("web", [])).toEqual(["(root): expected a JSON object (one app, as in the config's apps:), got an array"]);
    expect(problems("web", null)).toEqual(["(root): expected a JSON object (one app, as in the config's apps:), got null"]);
    expect(parseJsonBody("{")).toMatchObject({ ok: false, error: [expect.stringMatching(/^\(root\): invalid JSON: /)] });
    expect(parseJsonBody(" ")).toMatchObject({ ok: false });
    expect(parseJsonBody('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
  });

  it("exec and consul checks pass when the rules allow them", () => {
    const r = validateApp("job", { vip: "10.0.0.2/32", checks: [{ exec: ["/bin/true"] }, { consul: {} }] }, "http", ctx({ exec: true, consul: true }));
    expect(r.ok && r.value.spec.checks).toEqual([
      { kind: "exec", command: ["/bin/true"], shell: false },
      { kind: "consul", service: null },
    ]);
  });
});

describe("GoCast queries", () => {
  const q = (s: string) => new URLSearchParams(s);

  it("register: name, vip, port:tcp/udp monitors (listening on P, P a port), consul, vip_communities, nat", () => {
    const query = "name=web&vip=10.1.1.1/32&monitor=port:tcp:8080&monitor=port:udp:53&monitor=consul&vip_communities=65000:1,65000:2&nat=tcp:80:8080&nat=udp:53";
    expect(parseGoCastRegister(q(query), { allowExec: false })).toEqual({
      ok: true,
      value: {
        name: "web",
        input: {
          name: "web",
          vip: "10.1.1.1/32",
          ports: [8080, 53],
          checks: [{ listening: { protocol: "tcp", port: 8080 } }, { listening: { protocol: "udp", port: 53 } }, { consul: {} }],
          communities: ["65000:1", "65000:2"],
          nat: ["tcp:80:8080", "udp:53"],
        },
        warnings: [],
      },
    });
    expect(parseGoCastRegister(q("name=web&vip=10.1.1.1/32"), { allowExec: false })).toMatchObject({ ok: true, value: { input: { ports: [], checks: [] } } });
  });

  it("register: exec monitors only when allowed (a query must not run commands), every problem at once", () => {
    expect(parseMonitor("exec:/usr/local/bin/check --fast", 0, { allowExec: true })).toEqual({ check: { exec: { command: "/usr/local/bin/check --fast", shell: true } } });
    const r = parseGoCastRegister(q("vip=a&vip=b&monitor=exec:rm%20-rf%20/&monitor=port:sctp:53&monitor=port:tcp:0&monitor=ping&nat=tcp:80&extra=1"), { allowExec: false });
    expect(r).toEqual({
      ok: false,
      error: [
        '"extra": unknown parameter; expected name, vip, monitor, vip_communities, nat',
        "name: required",
        "vip: given 2 times, expected once",
        "monitor[0]: exec monitors run a command on this host and are refused over HTTP; set http.allow_exec: true in the config to allow them",
        'monitor[1]: expected port:tcp:<port>, port:udp:<port>, exec:<command> or consul, got "port:sctp:53"',
        "monitor[2]: expected a port 1..65535, got 0",
        'monitor[3]: expected port:tcp:<port>, port:udp:<port>, exec:<command> or consul, got "ping"',
      ],
    });
  });

  it("register: a hostile name is refused before anything is built", () => {
    const r = parseGoCastRegister(q("name=web%0Aannounce%20route%200.0.0.0/0&vip=10.1.1.1/32"), { allowExec: false });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error[0]).toMatch(/^name: expected 1-64 characters/);
  });

  it("unregister: exactly one valid name", () => {
    expect(parseGoCastUnregister(q("name=web"))).toEqual({ ok: true, value: "web" });
    expect(parseGoCastUnregister(q(""))).toEqual({ ok: false, error: ["name: required"] });
    expect(parseGoCastUnregister(q("name=a&name=b")).ok).toBe(false);
    expect(parseGoCastUnregister(q("name=%00")).ok).toBe(false);
  });
});
