import { describe, expect, it } from "vitest";
import { announcerTarget } from "../src/status-command.js";
import { formatAnnouncerStatus } from "../src/status-table.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function check(kind: string, text: string, last: unknown) {
  return { kind, check: text, last };
}

function app(name: string, over: Record<string, unknown> = {}) {
  return {
    name,
    source: "config",
    state: "UP",
    serving: true,
    since: ago(75),
    reason: "ok",
    vips: ["10.255.255.1/32"],
    ports: [80, 443],
    communities: [],
    med: null,
    local_pref: null,
    checks: [check("tcp", "tcp 127.0.0.1:443", { ok: true, reason: "ok", latency_ms: 0.412 })],
    last_check: ago(1),
    timers: { interval_ms: 2000, fast_interval_ms: 500, timeout_ms: 1000, rise: 2, fall: 2 },
    ...over,
  };
}

function status(over: Record<string, unknown> = {}) {
  return {
    program: "exacast-announcer",
    host: "edge1",
    version: "0.1.0",
    pid: 4242,
    started: ago(3 * 3600 + 120),
    draining: false,
    stopping: false,
    announced: [{ vip: "10.255.255.1/32", command: "announce route 10.255.255.1/32 next-hop self community [12345:80 12345:443]" }],
    exabgp: { ack: true, commands: 7, acks: 7, ack_errors: 0, ack_timeouts: 0, resends: 1 },
    http: { apps: 1, state_file: null },
    consul: null,
    apps: [
      app("dns", {
        state: "DOWN",
        serving: false,
        since: ago(12),
        reason: "udp: timeout",
        vips: ["10.255.255.53/32", "2001:db8::53/128"],
        ports: [53],
        checks: [check("udp", "udp 127.0.0.1:53 expect 00", { ok: false, reason: "timeout", latency_ms: 1000.2 }), check("file_absent", "file_absent /etc/exacast/dns.disabled", null)],
      }),
      app("web", { source: "http" }),
    ],
    ...over,
  };
}

const table = (s: unknown) => {
  const r = formatAnnouncerStatus(s, NOW);
  if (!r.ok) throw new Error(r.error.join("; "));
  return r.value;
};

describe("announcer status tables", () => {
  it("prints the process, ExaBGP, then apps, checks and VIPs as birdc does", () => {
    expect(table(status())).toBe(
      [
        "exacast-announcer 0.1.0 on edge1, pid 4242, up 3h02m",
        "Apps: 2 (1 UP), 1 VIP announced; 1 registered over HTTP",
        "ExaBGP: 7 commands written, 7 acks (0 errors, 0 timeouts), 1 resend",
        "",
        "App  Source  State  Since  VIPs                               Ports   Reason",
        "dns  config  DOWN   12s    10.255.255.53/32 2001:db8::53/128  53      udp: timeout",
        "web  http    UP     1m15s  10.255.255.1/32                    80 443  ok",
        "",
        "App  Check                                  Last  Latency   Detail",
        "dns  udp 127.0.0.1:53 expect 00             fail  1000.2ms  timeout",
        "dns  file_absent /etc/exacast/dns.disabled  -     -         not run yet",
        "web  tcp 127.0.0.1:443                      pass  0.4ms     ok",
        "",
        "VIP announced    Attributes",
        "10.255.255.1/32  next-hop self community [12345:80 12345:443]",
        "",
      ].join("\n"),
    );
  });

  it("says draining, stopping, and Consul's outage with its age and error", () => {
    const out = table(
      status({
        draining: true,
        stopping: true,
        consul: { node: "edge9", reachable: false, last_error: "catalog: connect ECONNREFUSED 127.0.0.1:8500", outage_since: ago(40), updates: 3, errors: 9, services: 2, skipped: 1 },
      }),
    );
    expect(out.split("\n")[0]).toBe("exacast-announcer 0.1.0 on edge1, pid 4242, up 3h02m; DRAINING (every VIP carries 65535:0); STOPPING");
    expect(out).toContain("Consul: node edge9, UNREACHABLE for 40s (catalog: connect ECONNREFUSED 127.0.0.1:8500); 2 tagged services (1 skipped), 9 query errors\n");
  });

  it("says when acks are off (exabgp.api.ack false) instead of counting them", () => {
    expect(table(status({ exabgp: { ack: false, commands: 3, acks: 0, ack_errors: 0, ack_timeouts: 0, resends: 0 } }))).toContain("ExaBGP: 3 commands written (acks off), 0 resends\n");
  });

  it("says when there is nothing, instead of empty tables", () => {
    const out = table(status({ apps: [], announced: [], http: null }));
    expect(out).toContain("No apps.\n");
    expect(out).toContain("No VIP announced.\n");
    expect(out).not.toContain("Check");
  });

  it("keeps a reason's escape sequences and newlines off the terminal", () => {
    const out = table(status({ apps: [app("web", { reason: "http: body \u001b[2J\nforged line" })] }));
    expect(out).toContain("http: body \\x1b[2J\\nforged line");
    expect(out).not.toContain("\u001b");
  });

  it("names what is wrong when the answer is not the announcer's (the listener's, say)", () => {
    const r = formatAnnouncerStatus({ services: {}, neighbors: [], templates: [] }, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("program: Invalid input: expected \"exacast-announcer\"");
    expect(formatAnnouncerStatus("not json", NOW).ok).toBe(false);
  });
});

describe("announcer status: the address from the config", () => {
  it("takes http.listen and http.token", () => {
    expect(announcerTarget('http: { listen: "127.0.0.9:9999", token: s3cret }\napps: []\n', "a.yaml")).toEqual({
      ok: true,
      value: { url: "http://127.0.0.9:9999/status", token: "s3cret" },
    });
  });

  it("defaults listen to 127.0.0.1:9179, and asks a wildcard on loopback", () => {
    expect(announcerTarget("http: {}\n", "a.yaml")).toEqual({ ok: true, value: { url: "http://127.0.0.1:9179/status", token: null } });
    expect(announcerTarget('http: { listen: "[::]:9179" }\n', "a.yaml")).toEqual({ ok: true, value: { url: "http://[::1]:9179/status", token: null } });
  });

  it("reads only http:, so a config with a problem elsewhere still finds the announcer", () => {
    expect(announcerTarget('http: { listen: "127.0.0.1:1" }\napps: [{ name: "bad name" }]\n', "a.yaml").ok).toBe(true);
  });

  it("refuses a config without http:, or with a bad one, naming the file", () => {
    expect(announcerTarget("apps: []\n", "/etc/exacast/announcer.yaml")).toEqual({
      ok: false,
      error: ["/etc/exacast/announcer.yaml: no http: section, so the announcer serves no /status (set http.listen, or give --url)"],
    });
    const bad = announcerTarget('http: { listen: "nowhere" }\n', "a.yaml");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error[0]).toMatch(/^a\.yaml: http: listen: expected host:port/);
    expect(announcerTarget("http: [\n", "a.yaml").ok).toBe(false);
  });
});
