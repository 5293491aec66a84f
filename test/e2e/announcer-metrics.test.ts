// The announcer bin's /metrics and /status, the test playing ExaBGP (it
// answers `done` to each line) with the Consul agent emulator and a real TCP
// backend: every scrape parses as Prometheus text (test/harness/prometheus.ts,
// a strict parser), and the values move as apps come, change state and go.

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { isCommandLine } from "@exacast/core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startConsulEmulator, type ConsulEmulator } from "../consul-emulator/index.js";
import { AnnouncerProcess } from "../harness/announcer.js";
import { Lab, quietPort, waitFor } from "../harness/index.js";
import { parsePrometheusText } from "../harness/prometheus.js";

const TOKEN = "metrics-test-token";
const CONSUL_TOKEN = "metrics-consul-token";
const auth = { Authorization: `Bearer ${TOKEN}` };

type Labels = Record<string, string>;

describe("announcer /metrics and /status", () => {
  const lab = new Lab("announcer-metrics");
  const host = "127.0.0.1";
  let backend: Server;
  let backendPort = 0;
  let consul: ConsulEmulator;
  let proc: AnnouncerProcess;
  let base = "";

  /** One scrape, parsed strictly: a sample's value by name and labels (undefined: no such series). */
  const scrape = async () => {
    const r = await fetch(`${base}/metrics`, { headers: auth });
    expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = [...parsePrometheusText(await r.text()).families.values()].flatMap((f) => f.samples);
    return (name: string, labels: Labels = {}) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  };
  const eventually = (probe: (v: Awaited<ReturnType<typeof scrape>>) => boolean, what: string) =>
    waitFor(async () => probe(await scrape()), { what, timeout: 8000, interval: 50 });

  const startBackend = async () => {
    backend = createServer((c) => c.destroy());
    await new Promise<void>((r) => backend.listen(backendPort, host, r));
    backendPort = (backend.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    await startBackend();
    consul = await startConsulEmulator({ aclToken: CONSUL_TOKEN, node: "edge9" });
    const port = await quietPort([host]);
    base = `http://${host}:${port}`;
    writeFileSync(
      `${lab.dir}/announcer.yaml`,
      [
        "next_hop: 192.0.2.2",
        "interval: 300ms",
        "fast_interval: 100ms",
        `http: { listen: "${host}:${port}", token: ${TOKEN} }`,
        `consul: { address: "${consul.address}", token: ${CONSUL_TOKEN}, node: edge9, interval: 100ms }`,
        "apps:",
        `  - { name: static, vip: 10.255.255.1/32, ports: [22], checks: [{ tcp: "${host}:${backendPort}" }] }`,
      ].join("\n") + "\n",
    );
    proc = new AnnouncerProcess(lab, ["--config", `${lab.dir}/announcer.yaml`]);
    await proc.waitLine(/^announce route 10\.255\.255\.1\/32 /);
  });

  afterAll(async () => {
    await lab.close();
    await consul.close();
    await new Promise((r) => backend.close(r));
  });

  it("values move as apps come (config, HTTP, Consul), change state and go", async () => {
    onTestFailed(() => console.log(lab.report()));
    let v = await scrape();
    expect(v("exacast_announcer_apps", { source: "config" })).toBe(1);
    expect(v("exacast_announcer_app_state", { app: "static", state: "UP" })).toBe(1);
    expect(v("exacast_announcer_vip_announced", { vip: "10.255.255.1/32" })).toBe(1);
    expect(v("exacast_announcer_check_results_total", { app: "static", kind: "tcp", result: "pass" })).toBeGreaterThanOrEqual(2);
    expect(v("exacast_announcer_check_duration_seconds_count", { app: "static", kind: "tcp" })).toBeGreaterThanOrEqual(2);
    await eventually((x) => x("exacast_announcer_consul_up") === 1, "consul_up 1");

    // An HTTP app and a Consul app.
    expect((await fetch(`${base}/v1/apps/web`, { method: "PUT", headers: auth, body: JSON.stringify({ vip: "10.255.255.2/32", ports: [443] }) })).status).toBe(201);
    consul.registerService({ ID: "api-1", Name: "api", Port: 9000, Tags: ["exacast", "exacast_vip=10.255.255.3/32"], Check: { CheckID: "api-ttl", TTL: "60s", Status: "passing" } });
    await eventually((x) => x("exacast_announcer_vips_announced") === 3, "three VIPs");
    v = await scrape();
    expect([v("exacast_announcer_apps", { source: "http" }), v("exacast_announcer_apps", { source: "consul" })]).toEqual([1, 1]);
    expect(v("exacast_announcer_app_state", { app: "consul-api-1", state: "UP" })).toBe(1);
    expect(v("exacast_announcer_check_results_total", { app: "consul-api-1", kind: "consul", result: "pass" })).toBeGreaterThanOrEqual(2);
    expect(v("exacast_announcer_consul_updates_total")).toBeGreaterThanOrEqual(2);
    expect(v("exacast_announcer_commands_written_total", { command: "announce" })).toBe(3);
    expect(v("exacast_announcer_acks_total", { result: "done" })).toBe(3);

    // The backend goes: static falls to DOWN and its VIP is withdrawn.
    await new Promise((r) => backend.close(r));
    await eventually((x) => x("exacast_announcer_app_state", { app: "static", state: "DOWN" }) === 1 && x("exacast_announcer_vips_announced") === 2, "static DOWN");
    v = await scrape();
    expect(v("exacast_announcer_check_results_total", { app: "static", kind: "tcp", result: "fail" })).toBeGreaterThanOrEqual(2);
    expect(v("exacast_announcer_vip_announced", { vip: "10.255.255.1/32" })).toBeUndefined();
    expect(v("exacast_announcer_commands_written_total", { command: "withdraw" })).toBe(1);
    await startBackend();

    // Consul's check critical, then the service gone; the HTTP app deleted; the agent down.
    consul.setCheckStatus("api-ttl", "critical");
    await eventually((x) => x("exacast_announcer_check_results_total", { app: "consul-api-1", kind: "consul", result: "fail" })! >= 1, "a failed consul check");
    consul.deregisterService("api-1");
    await fetch(`${base}/v1/apps/web`, { method: "DELETE", headers: auth });
    await eventually((x) => x("exacast_announcer_apps", { source: "consul" }) === 0 && x("exacast_announcer_apps", { source: "http" }) === 0, "the apps gone");
    v = await scrape();
    expect(v("exacast_announcer_app_state", { app: "consul-api-1", state: "UP" })).toBeUndefined();
    expect(v("exacast_announcer_check_results_total", { app: "consul-api-1", kind: "consul", result: "pass" })).toBeUndefined();
    await consul.stop();
    await eventually((x) => x("exacast_announcer_consul_up") === 0 && x("exacast_announcer_consul_errors_total")! >= 1, "consul_up 0");
    await consul.start();
    await eventually((x) => x("exacast_announcer_consul_up") === 1 && x("exacast_announcer_app_state", { app: "static", state: "UP" }) === 1, "consul back, static UP");
    expect(proc.lines.every(isCommandLine)).toBe(true);
  });

  it("/status: the apps with their source, state and last check results; what is announced; Consul's state", async () => {
    onTestFailed(() => console.log(lab.report()));
    type Status = {
      apps: { name: string; source: string; state: string; checks: { kind: string; last: { ok: boolean; reason: string } | null }[] }[];
      announced: { vip: string; command: string }[];
      consul: { node: string; reachable: boolean; errors: number };
      exabgp: { commands: number; acks: number };
    };
    const read = async (): Promise<Status> => (await (await fetch(`${base}/status`, { headers: auth })).json()) as Status;
    // The last command's ack may still be on its way (a loaded machine): wait for it, bounded.
    let s = await read();
    for (const end = Date.now() + 5000; s.exabgp.acks !== s.exabgp.commands && Date.now() < end; ) {
      await new Promise((r) => setImmediate(r));
      s = await read();
    }
    expect(s.apps.map((a) => `${a.name} ${a.source} ${a.state}`)).toEqual(["static config UP"]);
    expect(s.apps[0]!.checks).toEqual([{ kind: "tcp", check: `tcp ${host}:${backendPort}`, last: expect.objectContaining({ ok: true, reason: "connected" }) }]);
    expect(s.announced).toEqual([{ vip: "10.255.255.1/32", command: "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:22]" }]);
    expect(s.consul).toMatchObject({ node: "edge9", reachable: true });
    expect(s.consul.errors).toBeGreaterThanOrEqual(1);
    expect(s.exabgp.acks).toBe(s.exabgp.commands);
    expect(s.exabgp.commands).toBe(proc.lines.length);
  });
});
