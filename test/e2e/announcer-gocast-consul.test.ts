// GoCast's Consul integration as its README and consul.go describe it,
// against the announcer under real ExaBGP 4.2 and GoBGP, Consul being the
// agent emulator with ACLs: GoCast's environment (CONSUL_TOKEN, CONSUL_NODE,
// CONSUL_STALE) and its consul_addr ending in /v1; services tagged
// enable_gocast with gocast_vip= (host bits masked), gocast_vip_communities=,
// gocast_monitor=port:tcp:P (something listens on P, any address), and
// without a monitor tag (GoCast runs no monitor: announced while registered,
// whatever Consul's checks say).

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startConsulEmulator, type ConsulEmulator } from "../consul-emulator/index.js";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, waitFor, adjInCommunities, untilAdjIn } from "../harness/index.js";

const TOKEN = "gocast-consul-token";

describe("GoCast's Consul tags and environment through ExaBGP and GoBGP", () => {
  const lab = new Lab("announcer-gocast-consul");
  const A = lab.addr(2);
  const service = createServer((c) => c.destroy());
  let port = 0;
  let consul: ConsulEmulator;
  let rs: GoBgp;
  let exa: ExaBgp;

  const routes = () => adjInCommunities(rs, A);
  const until = (probe: (r: Record<string, string>) => boolean, what: string) => untilAdjIn(rs, A, probe, what);

  beforeAll(async () => {
    // Bound to one lab address only: GoCast's port monitor still sees it.
    const probe = createServer();
    port = await new Promise<number>((r) => probe.listen(0, "::", () => r((probe.address() as AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    await new Promise<void>((r) => service.listen(port, lab.addr(10), r));
    consul = await startConsulEmulator({ aclToken: TOKEN, node: "edge9" });
    const config = `${lab.dir}/announcer.yaml`;
    // GoCast's consul_addr form; the token, the node and stale reads come from GoCast's variables.
    writeFileSync(config, ["next_hop: 192.0.2.2", "interval: 200ms", "fast_interval: 50ms", "rise: 1", "fall: 1", `consul: { address: "${consul.url}/v1", interval: 200ms }`].join("\n") + "\n");
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
    exa = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", config], encoder: "text" }],
      processEnv: { CONSUL_TOKEN: TOKEN, CONSUL_NODE: "edge9", CONSUL_STALE: "true" },
    });
    await rs.waitEstablished(A);
    await waitFor(() => consul.blockedQueries >= 2, { what: "the announcer's blocking queries", timeout: 10_000, interval: 10 });
  });

  afterAll(async () => {
    await lab.close();
    await consul.close();
    await new Promise((r) => service.close(r));
  });

  it("CONSUL_TOKEN is sent (no 403), CONSUL_NODE names the node (no /v1/agent/self), reads are ?stale, under the /v1 address", async () => {
    onTestFailed(() => console.log(lab.report()));
    const reads = consul.requests.filter((r) => r.path.startsWith("/v1/catalog/node/") || r.path.startsWith("/v1/health/node/"));
    expect(reads.length).toBeGreaterThan(0);
    expect(new Set(reads.map((r) => r.path))).toEqual(new Set(["/v1/catalog/node/edge9", "/v1/health/node/edge9"]));
    expect(reads.every((r) => r.token === TOKEN && r.status === 200 && /[?&]stale\b/.test(r.query))).toBe(true);
    expect(consul.requests.some((r) => r.path === "/v1/agent/self")).toBe(false);
    expect(exa.log()).toMatch(/consul_start .*token=CONSUL_TOKEN/);
  });

  it("enable_gocast, gocast_vip with host bits, gocast_vip_communities, gocast_monitor=port:tcp:P: announced masked, with the communities", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService({
      ID: "dns-1",
      Name: "dns",
      Tags: ["enable_gocast", "gocast_vip=10.255.11.9/24", "gocast_vip_communities=65000:7,65000:8", `gocast_monitor=port:tcp:${port}`],
    });
    await until((r) => r["10.255.11.0/24"] === `12345:${port} 65000:7 65000:8`, "dns announced");
    expect(exa.log()).toMatch(/consul_service_warning service=dns-1 .*10\.255\.11\.9\/24 has host bits set; announcing 10\.255\.11\.0\/24/);
    consul.deregisterService("dns-1");
    await until((r) => !("10.255.11.0/24" in r), "dns withdrawn");
  });

  it("no gocast_monitor tag: announced while registered, even with its Consul check critical (GoCast runs no monitor)", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService({ ID: "syslog-1", Name: "syslog", Port: 514, Tags: ["enable_gocast", "gocast_vip=10.255.11.20/32"], Check: { CheckID: "syslog-ttl", TTL: "60s", Status: "critical" } });
    // An exacast-tagged service without a check tag is held to its Consul checks.
    consul.registerService({ ID: "web-1", Name: "web", Port: 443, Tags: ["exacast", "exacast_vip=10.255.11.21/32"], Check: { CheckID: "web-ttl", TTL: "60s", Status: "critical" } });
    await until((r) => r["10.255.11.20/32"] === "12345:514", "syslog announced");
    expect("10.255.11.21/32" in (await routes())).toBe(false);
    consul.deregisterService("syslog-1");
    await until((r) => !("10.255.11.20/32" in r), "syslog withdrawn at deregistration");
  });
});
