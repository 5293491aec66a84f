import { describe, expect, it } from "vitest";
import type { AnnouncerConfig } from "../src/config.js";
import { loadAnnouncerConfig, stateFileName } from "../src/config.js";

const FILE = "/etc/exacast/announcer.yaml";

function load(text: string): AnnouncerConfig {
  const r = loadAnnouncerConfig(text, FILE, {}, {});
  if (!r.ok) throw new Error(r.error.join("\n"));
  return r.value;
}

function problems(text: string, env: Record<string, string> = {}): string[] {
  const r = loadAnnouncerConfig(text, FILE, {}, env);
  if (r.ok) throw new Error("expected the config to be refused");
  return r.error.map((l) => l.replace(`${FILE}: `, ""));
}

describe("config: state files", () => {
  it("state_dir holds announced_file and http.state_file unless they are set; null turns one off", () => {
    expect(stateFileName(FILE, "announced")).toMatch(/^announcer-[0-9a-f]{8}\.announced\.json$/);
    // One name per config path: two announcers never share a file, a respawn finds its own.
    expect(stateFileName("/etc/exacast/b/announcer.yaml", "announced")).not.toBe(stateFileName(FILE, "announced"));
    expect(stateFileName(FILE, "announced")).toBe(stateFileName(FILE, "announced"));
    const d = load("http: {}\n");
    expect(d.stateDir).toBe("/var/lib/exacast");
    expect(d.announcedFile).toBe(`/var/lib/exacast/${stateFileName(FILE, "announced")}`);
    const set = load("state_dir: state\nannounced_file: /run/a.json\nhttp: {}\n");
    expect(set.stateDir).toBe("/etc/exacast/state");
    expect(set.announcedFile).toBe("/run/a.json");
    expect(set.http?.stateFile).toBe(`/etc/exacast/state/${stateFileName(FILE, "http-apps")}`);
    expect(load("announced_file: null\n").announcedFile).toBeNull();
    // systemd's StateDirectory= (the first of several), below an explicit state_dir.
    const env = (text: string, e: Record<string, string>) => {
      const r = loadAnnouncerConfig(text, FILE, {}, e);
      if (!r.ok) throw new Error(r.error.join("\n"));
      return r.value.stateDir;
    };
    expect(env("{}\n", { STATE_DIRECTORY: "/var/lib/exabgp:/var/lib/other" })).toBe("/var/lib/exabgp");
    expect(env("state_dir: /srv/x\n", { STATE_DIRECTORY: "/var/lib/exabgp" })).toBe("/srv/x");
  });
});

describe("config: http and consul", () => {
  it("http: defaults, and what a token may hold", () => {
    expect(load("http: {}\n").http).toEqual({
      listen: { host: "127.0.0.1", port: 9179 },
      token: null,
      stateFile: `/var/lib/exacast/${stateFileName(FILE, "http-apps")}`,
      allowExec: false,
      cleanupAfter: null,
    });
    expect(load("http: { state_file: null }\n").http?.stateFile).toBeNull();
    expect(load('http: { listen: "[::1]:9000", token: abc, state_file: apps.json, allow_exec: true, cleanup_after: 15m }\n').http).toEqual({
      listen: { host: "::1", port: 9000 },
      token: "abc",
      stateFile: "/etc/exacast/apps.json",
      allowExec: true,
      cleanupAfter: 900_000,
    });
    expect(problems("http: { cleanup_after: 10ms }\n")).toEqual(["http.cleanup_after: cleanup_after must be at least 1s"]);
    expect(problems('http: { listen: nowhere, token: "a b", port: 1 }\n')).toEqual([
      'http.listen: expected host:port, got "nowhere"',
      "http.token: expected visible ASCII characters only (no spaces or control characters)",
      'http: Unrecognized key: "port"',
    ]);
    expect(load("http: null\nconsul: null\n")).toMatchObject({ http: null, consul: null });
  });

  it("consul: defaults, CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN when the keys are unset", () => {
    const c = (text: string, env: Record<string, string> = {}) => {
      const r = loadAnnouncerConfig(text, FILE, {}, env);
      if (!r.ok) throw new Error(r.error.join("\n"));
      return r.value.consul;
    };
    expect(c("consul: {}\n")).toEqual({
      address: { secure: false, host: "127.0.0.1", port: 8500 },
      node: null,
      token: null,
      tokenFrom: null,
      tag: "exacast",
      interval: 1000,
      wait: 30_000,
      hold: 30_000,
      stale: true,
      allowExec: false,
    });
    expect(c("consul: {}\n", { CONSUL_HTTP_ADDR: "https://10.0.0.1:8501", CONSUL_HTTP_TOKEN: "t0k" })).toMatchObject({
      address: { secure: true, host: "10.0.0.1", port: 8501 },
      token: "t0k",
      tokenFrom: "CONSUL_HTTP_TOKEN",
    });
    expect(c('consul: { address: "127.0.0.1:9500", token: mine, node: edge1, tag: anycast, interval: 250ms, wait: 10s, hold: 5s }\n', { CONSUL_HTTP_TOKEN: "env" })).toMatchObject({
      address: { host: "127.0.0.1", port: 9500 },
      token: "mine",
      tokenFrom: "config",
      node: "edge1",
      tag: "anycast",
      interval: 250,
      wait: 10_000,
      hold: 5000,
    });
    expect(problems("consul: { address: 'ftp://x:1', tag: 'a=b', wait: 1h, node: 'a/b' }\n")).toEqual([
      'consul.address: expected host:port or http(s)://host:port (a trailing /v1 is allowed), got "ftp://x:1"',
      "consul.node: expected a Consul node name (no spaces, /, ?, # or %)",
      "consul.tag: expected 1-64 characters of A-Z a-z 0-9 _ . : -",
      "consul.wait: wait must be 1s..10m (Consul's limit)",
    ]);
  });

  it("GoCast's Consul settings: consul_addr ending in /v1, CONSUL_TOKEN after CONSUL_HTTP_TOKEN, CONSUL_NODE", () => {
    const c = (text: string, env: Record<string, string> = {}) => {
      const r = loadAnnouncerConfig(text, FILE, {}, env);
      if (!r.ok) throw new Error(r.error.join("\n"));
      return r.value.consul;
    };
    expect(c('consul: { address: "http://localhost:8500/v1" }\n')?.address).toEqual({ secure: false, host: "localhost", port: 8500 });
    expect(c("consul: {}\n", { CONSUL_HTTP_ADDR: "https://10.0.0.1:8501/v1/" })?.address).toEqual({ secure: true, host: "10.0.0.1", port: 8501 });
    expect(c("consul: {}\n", { CONSUL_TOKEN: "gocast-token", CONSUL_NODE: "edge7" })).toMatchObject({ token: "gocast-token", tokenFrom: "CONSUL_TOKEN", node: "edge7" });
    expect(c("consul: {}\n", { CONSUL_TOKEN: "gocast-token", CONSUL_HTTP_TOKEN: "consul-token" })).toMatchObject({ token: "consul-token", tokenFrom: "CONSUL_HTTP_TOKEN" });
    expect(c("consul: { token: mine }\n", { CONSUL_TOKEN: "gocast-token" })).toMatchObject({ token: "mine", tokenFrom: "config" });
    expect(problems("consul: {}\n", { CONSUL_TOKEN: "a b" })).toEqual(["consul.token: not set, and CONSUL_TOKEN holds characters a token cannot have"]);
    expect(problems('consul: { address: "127.0.0.1:8500/v2" }\n')).toEqual([
      'consul.address: expected host:port or http(s)://host:port (a trailing /v1 is allowed), got "127.0.0.1:8500/v2"',
    ]);
  });

  it("a consul check needs the consul: section", () => {
    const app = "apps:\n  - { name: web, vip: 10.0.0.1/32, checks: [{ consul: {} }, { consul: { service: web-1 } }] }\n";
    expect(problems(app)).toEqual([
      "apps[0].checks[0].consul: a consul check needs Consul discovery: set consul: in the config",
      "apps[0].checks[1].consul: a consul check needs Consul discovery: set consul: in the config",
    ]);
    expect(load(`consul: {}\n${app}`).apps[0]!.checks).toEqual([
      { kind: "consul", service: null },
      { kind: "consul", service: "web-1" },
    ]);
  });
});
