import { describe, expect, it } from "vitest";
import announcerYaml from "../../../examples/announcer.yaml?raw";
import type { AnnouncerConfig } from "../src/config.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { formatCheckReport } from "../src/report.js";

const FILE = "/etc/exacast/announcer.yaml";

function load(text: string): AnnouncerConfig {
  const r = loadAnnouncerConfig(text, FILE);
  if (!r.ok) throw new Error(r.error.join("\n"));
  return r.value;
}

function problems(text: string, overrides: Record<string, unknown> = {}): string[] {
  const r = loadAnnouncerConfig(text, FILE, overrides);
  if (r.ok) throw new Error("expected the config to be refused");
  return r.error.map((l) => l.replace(`${FILE}: `, ""));
}

const APP = "apps:\n  - name: web\n    vip: 10.255.255.1/32\n    ports: [443]\n";

describe("config: defaults and overrides", () => {
  it("applies the contract's defaults", () => {
    const c = load(APP);
    expect(c).toMatchObject({
      communityAsn: 12345,
      nextHop: "self",
      timers: { interval: 2000, fastInterval: 500, timeout: 1000, rise: 2, fall: 2, splay: 0 },
      ack: true,
      communities: [],
      med: null,
      localPref: null,
      drainFile: null,
      drainTime: 0,
      manageLoopback: false,
      logFormat: "text",
      logLevel: "info",
    });
    expect(c.apps[0]).toMatchObject({ name: "web", source: "config", ports: [443], checks: [], timers: c.timers });
    expect(c.apps[0]!.vips.map((v) => v.text)).toEqual(["10.255.255.1/32"]);
  });

  it("per-app overrides win over the globals; ports sorted and deduplicated", () => {
    const c = load(`
interval: 5s
rise: 3
communities: ["65000:1"]
med: 50
apps:
  - name: web
    vips: [10.255.255.1/32, "2001:db8::1/128"]
    ports: [443, 80, 443]
    interval: 250ms
    fast_interval: 0.1
    fall: 1
    splay: 2s
    communities: ["65000:2"]
    med: null
    local_pref: 200
  - name: api
    vip: 10.255.255.2/32
`);
    expect(c.apps[0]).toMatchObject({
      ports: [80, 443],
      timers: { interval: 250, fastInterval: 100, timeout: 1000, rise: 3, fall: 1, splay: 2000 },
      communities: [[65000, 2]],
      med: null,
      localPref: 200,
    });
    expect(c.apps[0]!.vips.map((v) => v.text)).toEqual(["10.255.255.1/32", "2001:db8::1/128"]);
    expect(c.apps[1]).toMatchObject({ timers: { interval: 5000, rise: 3, fall: 2 }, communities: [[65000, 1]], med: 50, localPref: null });
  });

  it("next_hop: self, one address, or one per family", () => {
    expect(load("next_hop: self\n").nextHop).toBe("self");
    const one = load("next_hop: 192.0.2.2\n").nextHop;
    expect(one !== "self" && [one.v4?.text, one.v6]).toEqual(["192.0.2.2", null]);
    const two = load("next_hop: [2001:db8::2, 192.0.2.2]\n").nextHop;
    expect(two !== "self" && [two.v4?.text, two.v6?.text]).toEqual(["192.0.2.2", "2001:db8::2"]);
  });

  it("every check kind, short and long forms; relative paths from the config's folder", () => {
    const c = load(`
drain_file: drain
apps:
  - name: web
    vip: 10.255.255.1/32
    checks:
      - tcp: 127.0.0.1:443
      - tcp: "[::1]:443"
      - udp: 127.0.0.1:53
      - udp: { address: "127.0.0.1:53", send: "0A0b", expect: "ff" }
      - http: http://127.0.0.1/health
      - http: { url: "https://127.0.0.1:8443/h", status: [200, 204], contains: ok, follow_redirects: true, insecure: true }
      - exec: [/bin/true, --fast]
      - exec: { command: "test -e /tmp", shell: true }
      - file_absent: web.disabled
      - file_absent: /var/lib/web.disabled
`);
    expect(c.drainFile).toBe("/etc/exacast/drain");
    expect(c.apps[0]!.checks).toEqual([
      { kind: "tcp", target: { host: "127.0.0.1", port: 443 } },
      { kind: "tcp", target: { host: "::1", port: 443 } },
      { kind: "udp", target: { host: "127.0.0.1", port: 53 }, send: "", expect: null },
      { kind: "udp", target: { host: "127.0.0.1", port: 53 }, send: "0a0b", expect: "ff" },
      { kind: "http", url: "http://127.0.0.1/health", status: null, contains: null, followRedirects: false, insecure: false },
      { kind: "http", url: "https://127.0.0.1:8443/h", status: [200, 204], contains: "ok", followRedirects: true, insecure: true },
      { kind: "exec", command: ["/bin/true", "--fast"], shell: false },
      { kind: "exec", command: "test -e /tmp", shell: true },
      { kind: "file_absent", path: "/etc/exacast/web.disabled" },
      { kind: "file_absent", path: "/var/lib/web.disabled" },
    ]);
  });

  it("flags override file keys", () => {
    const r = loadAnnouncerConfig("log_format: text\n", FILE, { log_format: "json", log_level: undefined });
    expect(r.ok && r.value.logFormat).toBe("json");
    expect(problems("", { log_level: "loud" })[0]).toMatch(/^log_level: /);
  });
});

describe("config: hostile and wrong values are refused by path", () => {
  it("a name with a newline", () => {
    expect(problems('apps:\n  - name: "web\\nannounce route 6.6.6.6/32 next-hop self"\n    vip: 10.255.255.1/32\n')).toEqual([
      "apps[0].name: expected 1-64 characters of A-Z a-z 0-9 _ . -",
    ]);
  });

  it("a VIP with a command smuggled in", () => {
    const p = problems('apps:\n  - name: web\n    vip: "1.2.3.4/32 next-hop 6.6.6.6"\n');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^apps\[0\]\.vip: invalid prefix "1\.2\.3\.4\/32 next-hop 6\.6\.6\.6"/);
    expect(problems('apps:\n  - name: web\n    vips: ["10.0.0.1/32\\nwithdraw route 10.0.0.2/32"]\n')[0]).toMatch(/^apps\[0\]\.vips\[0\]: invalid prefix/);
  });

  it("communities out of range, globally and per app", () => {
    expect(problems('communities: ["65536:1"]\n')).toEqual(['communities[0]: invalid community "65536:1": each half must be 0..65535']);
    expect(problems('apps:\n  - name: web\n    vip: 10.0.0.1/32\n    communities: ["1:2", "1:2 2:3"]\n')[0]).toMatch(/^apps\[0\]\.communities\[1\]: invalid community/);
  });

  it("ports 0 and 70000", () => {
    expect(problems("apps:\n  - name: web\n    vip: 10.0.0.1/32\n    ports: [80, 0, 70000, 1.5]\n")).toEqual([
      "apps[0].ports[1]: expected a port number 1..65535",
      "apps[0].ports[2]: expected a port number 1..65535",
      "apps[0].ports[3]: expected a port number 1..65535",
    ]);
  });

  it("a community under community_asn (it would announce a port)", () => {
    expect(problems('communities: ["12345:80"]\n')).toEqual([
      "communities[0]: 12345:80 uses community_asn 12345, which names service ports; list the port in ports instead",
    ]);
    expect(problems('community_asn: 65000\napps:\n  - name: web\n    vip: 10.0.0.1/32\n    communities: ["65000:1"]\n')[0]).toMatch(/^apps\[0\]\.communities\[0\]: 65000:1 uses/);
  });

  it("structure: vip and vips, duplicates, unknown keys, a VIP of a family without next-hop", () => {
    expect(problems("apps:\n  - name: web\n")).toEqual(["apps[0].vip: expected exactly one of vip or vips"]);
    expect(problems("apps:\n  - name: web\n    vip: 10.0.0.1/32\n    vips: [10.0.0.2/32]\n")).toEqual(["apps[0].vip: expected exactly one of vip or vips"]);
    expect(problems("apps:\n  - name: web\n    vips: [10.0.0.1/32, 10.0.0.1/32]\n")).toEqual(["apps[0].vips[1]: duplicate VIP 10.0.0.1/32"]);
    expect(problems("apps:\n  - { name: web, vip: 10.0.0.1/32 }\n  - { name: web, vip: 10.0.0.2/32 }\n")).toEqual([
      'apps[1].name: duplicate app name "web" (also apps[0])',
    ]);
    expect(problems("fast-interval: 1s\n")).toEqual(['(root): Unrecognized key: "fast-interval"']);
    expect(problems("next_hop: 192.0.2.2\napps:\n  - { name: web, vip: '2001:db8::1/128' }\n")[0]).toMatch(
      /^apps\[0\]\.vip: 2001:db8::1\/128 is IPv6 but next_hop has no IPv6 address/,
    );
    expect(problems("next_hop: [192.0.2.2, 192.0.2.3]\n")).toEqual(["next_hop[1]: at most one next-hop per address family"]);
    expect(problems("next_hop: bogus\n")[0]).toMatch(/^next_hop: invalid IP address "bogus"/);
  });

  it("timers and counts", () => {
    expect(problems("interval: 1ms\nrise: 0\nfall: 2.5\ntimeout: forever\nsplay: -1\n")).toEqual([
      "interval: interval must be at least 10ms",
      "timeout: invalid duration \"forever\": expected a number and a unit (250ms, 2s, 5m, 1h)",
      "rise: expected a number of consecutive successes 1..1000",
      "fall: expected a number of consecutive failures 1..1000",
      "splay: invalid duration -1: expected seconds >= 0",
    ]);
  });

  it("checks: wrong kinds and values name the kind and the key", () => {
    const p = problems(`
apps:
  - name: web
    vip: 10.0.0.1/32
    checks:
      - tcp: nope
      - tpc: 127.0.0.1:80
      - {}
      - { tcp: 127.0.0.1:80, http: http://x/ }
      - http: ftp://127.0.0.1/
      - http: { url: http://127.0.0.1/, status: 999 }
      - udp: { address: 127.0.0.1:53, send: "abc" }
      - exec: { command: "rm -rf /tmp/x" }
      - exec: []
      - consul: { service: "" }
      - file_absent: ""
`);
    expect(p).toEqual([
      'apps[0].checks[0].tcp: expected host:port, got "nope"',
      "apps[0].checks[1].tpc: unknown check kind; expected one of tcp, udp, http, exec, file_absent, consul, listening",
      "apps[0].checks[2]: expected exactly one check kind (tcp, udp, http, exec, file_absent, consul, listening), got none",
      "apps[0].checks[3]: expected exactly one check kind (tcp, udp, http, exec, file_absent, consul, listening), got tcp, http",
      'apps[0].checks[4].http: expected an http:// or https:// URL, got "ftp://127.0.0.1/"',
      "apps[0].checks[5].http.status: expected an HTTP status 100..599",
      "apps[0].checks[6].udp.send: expected hex bytes, e.g. 0a1b2c (an even number of 0-9 a-f)",
      "apps[0].checks[7].exec.command: a command string runs through /bin/sh only with shell: true; otherwise give an argument array",
      "apps[0].checks[8].exec: expected the program and its arguments, e.g. [/usr/local/bin/check-web, --fast]",
      "apps[0].checks[9].consul.service: expected a Consul service ID or name",
      "apps[0].checks[10].file_absent: expected a file path",
    ]);
  });

  it("YAML errors name the file and line", () => {
    const r = loadAnnouncerConfig("apps: [\n", FILE);
    expect(!r.ok && r.error[0]).toMatch(/^\/etc\/exacast\/announcer\.yaml: /);
  });
});

describe("check report", () => {
  it("lists each app with its resolved settings and the commands with everything UP", () => {
    const text = formatCheckReport(
      load(`
next_hop: 192.0.2.2
apps:
  - name: web
    vip: 10.255.255.1/32
    ports: [443, 80]
    checks: [{ tcp: 127.0.0.1:443 }]
  - name: api
    vip: 10.255.255.1/32
    ports: [8443]
    med: 10
`),
    );
    expect(text).toContain("announcer.yaml: valid, 2 apps, 1 VIP");
    expect(text).toContain("app web\n  vips      10.255.255.1/32\n  ports     80 443\n  checks\n    - tcp 127.0.0.1:443\n");
    expect(text).toContain("app api");
    expect(text).toContain("  checks    (none: always up)");
    expect(text).toContain("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:80 12345:443 12345:8443] med 10");
  });
});

describe("the shipped example", () => {
  it("examples/announcer.yaml is valid", async () => {
    const r = loadAnnouncerConfig(announcerYaml, "examples/announcer.yaml");
    expect(r.ok ? r.value.apps.map((a) => a.name) : r.error).toEqual(["web", "api", "dns", "resolver"]);
  });
});
