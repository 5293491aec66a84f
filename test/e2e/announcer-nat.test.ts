// GoCast's NAT (`nat=tcp:53:8053`, the `nat:` key) with real traffic, in
// network namespaces this test creates: the announcer runs in "host" (run by
// ExaBGP 4.2 through `ip netns exec`, its routes going to GoBGP on the lab's
// loopback), a client in "client" reaches host over a veth pair and sends to
// the VIP. The service listens on host's own address only (10.77.0.1:8053:
// the Nomad case GoCast's README describes), the VIP is on host's lo with
// nothing on port 53. While the VIP is announced, <vip>:53 reaches the
// service; after the withdrawal and after exit the rule is gone and the
// client is refused. Both firewalls: nftables (table inet exacast) and
// iptables (chain EXACAST).

import { writeFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { startConsulEmulator, type ConsulEmulator } from "../consul-emulator/index.js";
import { Lab, bin, waitFor } from "../harness/index.js";
import { NetNs, netnsProblem } from "../harness/netns.js";

const VIP = "10.255.77.1";
const problem = netnsProblem();
if (problem) console.log(`skipped announcer-nat: ${problem}`);

interface World {
  lab: Lab;
  host: NetNs;
  client: NetNs;
  rs: GoBgp;
  exa: ExaBgp;
  A: string;
}

async function world(name: string, config: (dir: string) => string, before?: (lab: Lab, host: NetNs) => Promise<void>, processEnv?: Record<string, string>): Promise<World> {
  const lab = new Lab(name);
  const A = lab.addr(2);
  const host = NetNs.create("exacast-nat-h");
  const client = NetNs.create("exacast-nat-c");
  lab.onClose(() => client.close());
  lab.onClose(() => host.close());
  host.link(client, "10.77.0.1/24", "10.77.0.2/24");
  client.ip("route", "add", `${VIP}/32`, "via", "10.77.0.1");
  host.ip("address", "add", `${VIP}/32`, "dev", "lo");
  await host.echo("10.77.0.1", 8053);
  await before?.(lab, host);
  const file = `${lab.dir}/announcer.yaml`;
  writeFileSync(file, config(lab.dir));
  const rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
  const exa = lab.exabgp({
    name: "a",
    address: A,
    asn: 65000,
    neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
    processes: [{ name: "announcer", run: host.argv([...bin("exacast-announcer"), "--config", file]), encoder: "text" }],
    ...(processEnv ? { processEnv } : {}),
  });
  await rs.waitEstablished(A);
  return { lab, host, client, rs, exa, A };
}

const routes = async (w: World) => Object.fromEntries((await w.rs.adjIn(w.A)).map((r) => [r.prefix, r.communities.join(" ")]));

describe.skipIf(problem !== null)("nat: nftables, apps from GoCast's /register", () => {
  let w: World;
  const PORT = 9180;
  const api = (path: string, method = "GET") => w.host.fetch(method, `http://127.0.0.1:${PORT}${path}`);
  const table = () => w.host.tryExec(["nft", "list", "table", "inet", "exacast"]);

  beforeAll(async () => {
    w = await world("announcer-nat-nft", () =>
      ["next_hop: 192.0.2.2", "interval: 200ms", "fast_interval: 50ms", "rise: 1", "fall: 1", `http: { listen: "127.0.0.1:${PORT}" }`].join("\n") + "\n",
    );
    await waitFor(async () => (await api("/v1/apps")).status === 200, { what: "the API in the namespace", timeout: 15_000 });
  });
  afterAll(async () => {
    await w?.lab.close();
  });

  it("nothing reaches the service through the VIP before an app asks for it; the firewall is untouched", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    expect(await w.client.probe("tcp", VIP, 53)).toBe("error: ECONNREFUSED");
    expect(await w.client.probe("tcp", "10.77.0.1", 8053, "direct")).toBe("echo:direct");
    expect(await table()).toBeNull();
  });

  it("/register?…&nat=tcp:53:8053&nat=udp:53:8053: while announced, <vip>:53 reaches the service on 8053 (TCP and UDP)", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    const r = await api(`/register?name=dns&vip=${VIP}/32&monitor=port:tcp:8053&nat=tcp:53:8053&nat=udp:53:8053`);
    expect(r.status).toBe(200);
    await waitFor(async () => (await routes(w))[`${VIP}/32`] === "12345:8053", { what: "the VIP in GoBGP", timeout: 10_000, interval: 50 });
    await waitFor(async () => (await w.client.probe("tcp", VIP, 53, "q1")) === "echo:q1", { what: "tcp to the VIP redirected", timeout: 5000 });
    expect(await w.client.probe("udp", VIP, 53, "q2")).toBe("echo:q2");
    expect(await table()).toMatch(/ip daddr 10\.255\.77\.1 tcp dport 53 redirect to :8053[\s\S]*ip daddr 10\.255\.77\.1 udp dport 53 redirect to :8053/);
  });

  it("/unregister withdraws the VIP and removes the rule: the service is still up, the VIP no longer leads to it", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    expect((await api("/unregister?name=dns")).status).toBe(200);
    await waitFor(async () => !(`${VIP}/32` in (await routes(w))), { what: "the VIP withdrawn in GoBGP", timeout: 10_000, interval: 50 });
    await waitFor(async () => (await table()) === null, { what: "the table gone", timeout: 5000 });
    expect(await w.client.probe("tcp", VIP, 53)).toBe("error: ECONNREFUSED");
    expect(await w.client.probe("tcp", "10.77.0.1", 8053, "still")).toBe("echo:still");
  });

  it("registered again (PUT, as GoCast takes it), then ExaBGP stops: the announcer's exit removes the table", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    expect((await api(`/register?name=dns&vip=${VIP}/32&monitor=port:tcp:8053&nat=tcp:53:8053`, "PUT")).status).toBe(200);
    await waitFor(async () => (await w.client.probe("tcp", VIP, 53, "q3")) === "echo:q3", { what: "redirected again", timeout: 10_000 });
    await w.exa.stop();
    await waitFor(async () => (await table()) === null, { what: "the table gone at exit", timeout: 10_000 });
    expect(await w.client.probe("tcp", VIP, 53)).toBe("error: ECONNREFUSED");
    expect(w.exa.log()).toMatch(/nat_cleared backend=nftables/);
  });
});

describe.skipIf(problem !== null)("nat: iptables (nat_backend: iptables), an app from the config's nat: key", () => {
  let w: World;
  let maintenance = "";
  const chain = () => w.host.tryExec(["iptables", "-t", "nat", "-S", "EXACAST"]);
  const jump = () => w.host.tryExec(["iptables", "-t", "nat", "-C", "PREROUTING", "-j", "EXACAST"]);

  beforeAll(async () => {
    w = await world("announcer-nat-ipt", (dir) => {
      maintenance = `${dir}/dns.off`;
      return (
        [
          "next_hop: 192.0.2.2",
          "interval: 200ms",
          "fast_interval: 50ms",
          "rise: 1",
          "fall: 1",
          "nat_backend: iptables",
          "apps:",
          `  - { name: dns, vip: ${VIP}/32, ports: [53], nat: ["tcp:53:8053", "udp:53:8053"], checks: [{ file_absent: ${maintenance} }] }`,
        ].join("\n") + "\n"
      );
    });
  });
  afterAll(async () => {
    await w?.lab.close();
  });

  it("announced: the chain holds both rules, PREROUTING jumps to it, TCP and UDP reach the service", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    await waitFor(async () => (await routes(w))[`${VIP}/32`] === "12345:53", { what: "the VIP in GoBGP", timeout: 10_000, interval: 50 });
    await waitFor(async () => (await w.client.probe("udp", VIP, 53, "u1")) === "echo:u1", { what: "udp to the VIP redirected", timeout: 5000 });
    expect(await w.client.probe("tcp", VIP, 53, "t1")).toBe("echo:t1");
    expect(await chain()).toMatch(/-A EXACAST -d 10\.255\.77\.1\/32 -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 8053\n-A EXACAST -d 10\.255\.77\.1\/32 -p udp -m udp --dport 53 -j REDIRECT --to-ports 8053/);
    expect(await jump()).not.toBeNull();
  });

  it("maintenance withdraws the VIP and empties the chain; back, the rules return", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    writeFileSync(maintenance, "");
    await waitFor(async () => !(`${VIP}/32` in (await routes(w))), { what: "withdrawn in GoBGP", timeout: 10_000, interval: 50 });
    await waitFor(async () => !(await chain())?.includes("REDIRECT"), { what: "the chain empty", timeout: 5000 });
    expect(await w.client.probe("tcp", VIP, 53)).toBe("error: ECONNREFUSED");
    rmSync(maintenance);
    await waitFor(async () => (await w.client.probe("tcp", VIP, 53, "t2")) === "echo:t2", { what: "redirected again", timeout: 10_000 });
  });

  it("at exit the jump, the rules and the chain are gone", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    await w.exa.stop();
    await waitFor(async () => (await chain()) === null && (await jump()) === null, { what: "chain and jump gone", timeout: 10_000 });
    expect(await w.client.probe("udp", VIP, 53)).toBe("error: ECONNREFUSED");
  });
});

describe.skipIf(problem !== null)("nat: gocast_nat= tags from Consul (the agent reached inside the namespace through a bridge)", () => {
  let w: World;
  let consul: ConsulEmulator;
  const TOKEN = "nat-consul-token";
  const table = () => w.host.tryExec(["nft", "list", "table", "inet", "exacast"]);

  beforeAll(async () => {
    consul = await startConsulEmulator({ aclToken: TOKEN, node: "edge-nat" });
    w = await world(
      "announcer-nat-consul",
      () => ["next_hop: 192.0.2.2", "interval: 200ms", "fast_interval: 50ms", "rise: 1", "fall: 1", 'consul: { address: "http://127.0.0.1:8500/v1", interval: 200ms }'].join("\n") + "\n",
      (lab, host) => host.bridge("127.0.0.1", 8500, { host: consul.host, port: consul.port }, `${lab.dir}/consul.sock`),
      { CONSUL_TOKEN: TOKEN, CONSUL_NODE: "edge-nat" },
    );
  });
  afterAll(async () => {
    await w?.lab.close();
    await consul?.close();
  });

  it("a service tagged gocast_nat=tcp:53:8053 is redirected while announced; deregistered, the rule goes", async () => {
    onTestFailed(() => console.log(w.lab.report()));
    consul.registerService({ ID: "dns-1", Name: "dns", Tags: ["enable_gocast", `gocast_vip=${VIP}/32`, "gocast_monitor=port:tcp:8053", "gocast_nat=tcp:53:8053", "gocast_nat=udp:53:8053"] });
    await waitFor(async () => (await routes(w))[`${VIP}/32`] === "12345:8053", { what: "the VIP in GoBGP", timeout: 10_000, interval: 50 });
    await waitFor(async () => (await w.client.probe("tcp", VIP, 53, "c1")) === "echo:c1", { what: "tcp to the VIP redirected", timeout: 5000 });
    expect(await w.client.probe("udp", VIP, 53, "c2")).toBe("echo:c2");
    consul.deregisterService("dns-1");
    await waitFor(async () => !(`${VIP}/32` in (await routes(w))), { what: "withdrawn in GoBGP", timeout: 10_000, interval: 50 });
    await waitFor(async () => (await table()) === null, { what: "the table gone", timeout: 5000 });
    expect(await w.client.probe("tcp", VIP, 53)).toBe("error: ECONNREFUSED");
  });
});
