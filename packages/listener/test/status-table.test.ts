import { describe, expect, it } from "vitest";
import { listenerTarget } from "../src/status-command.js";
import { formatListenerStatus } from "../src/status-table.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const backend = (prefix: string) => ({ prefix, address: prefix.split("/")[0], length: 32, family: 4, nexthop: "192.0.2.2", neighbor: "127.0.0.2", pathId: 0 });

function status(over: Record<string, unknown> = {}) {
  return {
    program: "exacast-listener",
    host: "lb1",
    version: "0.1.0",
    pid: 77,
    started: ago(2 * 86_400 + 3600),
    services: { "443": ["1.1.1.1/32", "2001:802::123/128"], "8080": ["1.1.1.1/32", "1.1.1.2/32", "1.1.1.3/32", "1.1.1.4/32", "1.1.1.5/32", "1.1.1.6/32"] },
    backends: { "443": [backend("1.1.1.1/32"), backend("1.1.1.1/32"), backend("2001:802::123/128")], "8080": ["1", "2", "3", "4", "5", "6"].map((n) => backend(`1.1.1.${n}/32`)) },
    ports: [443, 8080],
    routes: 9,
    neighbors: [
      { address: "127.0.0.2", state: "up", routes: 7, stale: 0, since: ago(600) },
      { address: "127.0.0.3", state: "down", routes: 2, stale: 2, since: null },
    ],
    templates: [
      { name: "haproxy", source: "/etc/exacast/haproxy.cfg.ejs", destination: "/etc/haproxy/haproxy.cfg", last: { result: "written", at: ago(95) } },
      { name: "nginx", source: "/etc/exacast/nginx.ejs", destination: "/etc/nginx/stream.conf", last: { result: "check_failed", at: ago(3), error: "check exited 1: nginx: [emerg] unknown directive" } },
      { name: "late", source: "/x.ejs", destination: "/y", last: null },
    ],
    lines: { read: 1200, skipped: 1100, rejected: { too_long: 1, not_json: 2, not_exabgp: 0 } },
    ...over,
  };
}

const table = (s: unknown) => {
  const r = formatListenerStatus(s, NOW);
  if (!r.ok) throw new Error(r.error.join("; "));
  return r.value;
};

describe("listener status tables", () => {
  it("prints a summary, then neighbors, services and templates as birdc does", () => {
    expect(table(status())).toBe(
      [
        "exacast-listener 0.1.0 on lb1, pid 77, up 2d01h",
        "Routes: 9 service routes from 2 neighbors (1 up), 2 service ports",
        "Lines read: 1200 (1100 skipped unparsed, 3 rejected); templates: 3, 1 FAILING",
        "",
        "Neighbor   State  Since   Routes  Stale",
        "127.0.0.2  up     10m00s  7       0",
        "127.0.0.3  down   -       2       2",
        "",
        "Port  Prefixes  Backends  Services",
        "443   2         3         1.1.1.1/32 2001:802::123/128",
        "8080  6         6         1.1.1.1/32 1.1.1.2/32 1.1.1.3/32 1.1.1.4/32 …+2",
        "",
        "Template  Last render       Ago    Destination               Error",
        "haproxy   written           1m35s  /etc/haproxy/haproxy.cfg",
        "nginx     check_failed      3s     /etc/nginx/stream.conf    check exited 1: nginx: [emerg] unknown directive",
        "late      not rendered yet  -      /y",
        "",
      ].join("\n"),
    );
  });

  it("says when there is nothing, instead of empty tables", () => {
    const out = table(status({ services: {}, backends: {}, ports: [], routes: 0, neighbors: [], templates: [] }));
    expect(out).toContain("Routes: 0 service routes from 0 neighbors (0 up), 0 service ports\n");
    expect(out).toContain("No neighbor seen yet.\n");
    expect(out).toContain("No services.\n");
    expect(out).toContain("No templates.\n");
  });

  it("reads an older listener's answer, without who and since, and says routes refused at max_routes", () => {
    const { program, host, version, pid, started, ...bare } = status();
    void [program, host, version, pid, started];
    const out = table({ ...bare, lines: { ...bare.lines, refused: 40 } });
    expect(out.split("\n").slice(0, 3)).toEqual([
      "exacast-listener",
      "Routes: 9 service routes from 2 neighbors (1 up), 2 service ports",
      "Lines read: 1200 (1100 skipped unparsed, 3 rejected, 40 routes REFUSED (max_routes)); templates: 3, 1 FAILING",
    ]);
  });

  it("keeps a render error's escape sequences and newlines off the terminal", () => {
    const out = table(status({ templates: [{ name: "t", destination: "/d", last: { result: "template_error", at: ago(1), error: "line 1\n\u001b]0;pwned\u0007" } }] }));
    expect(out).toContain("line 1\\n\\x1b]0;pwned\\x07");
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it("names what is wrong when the answer is not the listener's (the announcer's, say)", () => {
    const r = formatListenerStatus({ program: "exacast-announcer", apps: [] }, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("neighbors: Invalid input: expected array, received undefined");
  });
});

describe("listener status: the address from the config", () => {
  it("takes http.listen, and http.token when it is set", () => {
    expect(listenerTarget('http: { listen: "127.0.0.9:9180" }\ntemplates: []\n', "l.yaml")).toEqual({ ok: true, value: { url: "http://127.0.0.9:9180/status", token: null } });
    expect(listenerTarget('http: { listen: "127.0.0.9:9180", token: s3cret }\n', "l.yaml")).toEqual({ ok: true, value: { url: "http://127.0.0.9:9180/status", token: "s3cret" } });
    expect(listenerTarget('http: { listen: "0.0.0.0:9180" }\n', "l.yaml")).toEqual({ ok: true, value: { url: "http://127.0.0.1:9180/status", token: null } });
  });

  it("refuses a config without http:, or with a bad one, naming the file", () => {
    expect(listenerTarget("templates: []\n", "/etc/exacast/listener.yaml")).toEqual({
      ok: false,
      error: ["/etc/exacast/listener.yaml: no http: section, so the listener serves no /status (set http.listen, or give --url)"],
    });
    const bad = listenerTarget("http: { port: 9180 }\n", "l.yaml");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.join("\n")).toMatch(/^l\.yaml: http: /);
  });
});
