// The announcer's Consul discovery wired to the Consul agent emulator (a real
// HTTP server on loopback: blocking queries, ACLs, leader loss, leaves),
// through the `consul` npm client, into an app registry. For the tests only.

import { createLogger } from "@exacast/core";
import { afterEach } from "vitest";
import { waitFor } from "../../../../test/harness/wait.js";
import { startConsulEmulator, type ConsulEmulator, type ConsulEmulatorOptions } from "../../../../test/consul-emulator/index.js";
import type { ConsulConfig } from "../../src/config.js";
import type { Globals } from "../../src/model.js";
import { DEFAULT_TIMERS } from "../../src/model.js";
import { ConsulApps } from "../../src/consul/apps.js";
import { createConsulApi } from "../../src/consul/client.js";
import { ConsulDiscovery } from "../../src/consul/discovery.js";
import { ConsulHealth } from "../../src/consul/health.js";
import { AppRegistry } from "../../src/registry.js";

export const TOKEN = "discovery-test-token";
const globals: Globals = { communityAsn: 12345, nextHop: "self", timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null };

export interface Setup {
  consul: ConsulEmulator;
  registry: AppRegistry;
  health: ConsulHealth;
  discovery: ConsulDiscovery;
  logs: string[];
  checksChanged: number;
}

let open: Setup | null = null;
afterEach(async () => {
  open?.discovery.stop();
  await open?.consul.close();
  open = null;
});

export async function setup(over: Partial<ConsulConfig> = {}, emulator: ConsulEmulatorOptions = { aclToken: TOKEN }, hostname = "not-a-consul-node"): Promise<Setup> {
  const consul = await startConsulEmulator({ node: "edge1", ...emulator });
  const cfg: ConsulConfig = {
    address: { secure: false, host: consul.host, port: consul.port },
    node: null,
    token: TOKEN,
    tokenFrom: "config",
    tag: "exacast",
    interval: 100,
    wait: 5000,
    hold: 30_000,
    stale: true,
    allowExec: false,
    ...over,
  };
  const logs: string[] = [];
  const log = createLogger({ program: "t", level: "debug", write: (l) => logs.push(l) });
  const registry = new AppRegistry(() => performance.now());
  registry.upsert({ name: "static", source: "config", vips: [], ports: [], checks: [], timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null });
  const health = new ConsulHealth(cfg.hold, () => performance.now());
  const apps = new ConsulApps(registry, { tag: cfg.tag, allowExec: false }, { globals, baseDir: "/", rules: { consul: true, exec: false } }, log);
  const s: Setup = { consul, registry, health, logs, checksChanged: 0, discovery: null as unknown as ConsulDiscovery };
  s.discovery = new ConsulDiscovery(cfg, {
    api: createConsulApi(cfg),
    health,
    log,
    now: () => performance.now(),
    hostname,
    sink: (services) => apps.sync(services),
    onChecks: () => s.checksChanged++,
  });
  open = s;
  return s;
}

export const consulApps = (r: AppRegistry) =>
  [...r.entries()].filter((e) => e.spec.source === "consul").map((e) => `${e.spec.name} ${e.spec.vips.map((v) => v.text).join(",")} ${e.spec.ports.join(",")}`);

/** Both watches hang in a blocking query: a change now is seen as it would be in production. */
export const watching = (s: Setup, n = 2) => waitFor(() => s.consul.blockedQueries >= n, { what: "the watches to block", timeout: 3000, interval: 2 });
