// Consul discovery under real ExaBGP 4.2 and GoBGP, Consul being the agent
// emulator (test/consul-emulator: blocking queries, ACLs, outages): a tagged
// service is announced within a second of its registration and withdrawn
// within a second of its deregistration; its Consul check going critical
// withdraws it; an agent outage leaves a tcp-checked app announced while
// `consul`-checked apps hold for `hold`, then go. Times are printed.
//
// Timers are the contract's defaults (interval 2s, fast_interval 500ms,
// rise 2, fall 2): a new app is UP after two checks 500 ms apart.

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startConsulEmulator, type ConsulEmulator } from "../consul-emulator/index.js";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, waitFor, adjInCommunities, untilAdjIn } from "../harness/index.js";

const TOKEN = "consul-e2e-management-token";

describe("announcer Consul discovery through ExaBGP and GoBGP", () => {
  const lab = new Lab("announcer-consul");
  const A = lab.addr(2);
  const backend = createServer((c) => c.destroy());
  let consul: ConsulEmulator;
  let rs: GoBgp;
  let exa: ExaBgp;
  let backendAt = "";

  const routes = () => adjInCommunities(rs, A);
  const until = (probe: (r: Record<string, string>) => boolean, what: string, t0: number, timeout = 10_000): Promise<number> =>
    untilAdjIn(rs, A, probe, what, { t0, timeout });
  const announcerLog = () => exa.log().split("\n").filter((l) => l.includes("exacast-announcer") || / (INFO|WARN|ERROR|DEBUG) /.test(l));
  /** Both watches hang in a blocking query: a change now is seen the way it would be in production. */
  const watching = () => waitFor(() => consul.blockedQueries >= 2, { what: "the announcer's blocking queries", timeout: 5000, interval: 5 });

  beforeAll(async () => {
    await new Promise<void>((r) => backend.listen(0, lab.addr(10), r));
    backendAt = `${lab.addr(10)}:${(backend.address() as AddressInfo).port}`;
    consul = await startConsulEmulator({ aclToken: TOKEN, node: "edge1" });
    const config = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      config,
      [
        "next_hop: [192.0.2.2, 2001:db8::2]",
        // The token comes from CONSUL_HTTP_TOKEN (processEnv below); the node from /v1/agent/self.
        `consul: { address: "${consul.address}", interval: 200ms, hold: 2s }`,
      ].join("\n") + "\n",
    );
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
    exa = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", config], encoder: "text" }],
      processEnv: { CONSUL_HTTP_TOKEN: TOKEN },
    });
    await rs.waitEstablished(A);
    await watching();
  });

  afterAll(async () => {
    await lab.close();
    await consul.close();
    await new Promise((r) => backend.close(r));
  });

  it("a tagged service is announced within 1 s of its registration and withdrawn within 1 s of its deregistration", async () => {
    onTestFailed(() => console.log(lab.report()));
    let t0 = performance.now();
    consul.registerService({ ID: "web-1", Name: "web", Port: 8443, Tags: ["exacast", "exacast_vip=10.255.255.40/32"], Check: { CheckID: "web-1-ttl", TTL: "60s", Status: "passing" } });
    const announced = await until((r) => r["10.255.255.40/32"] === "12345:8443", "web-1 announced", t0);
    await watching();
    t0 = performance.now();
    consul.deregisterService("web-1");
    const withdrawn = await until((r) => !("10.255.255.40/32" in r), "web-1 withdrawn", t0);
    console.log(`Consul: registration → route in GoBGP adj-in ${announced.toFixed(0)} ms; deregistration → withdrawn ${withdrawn.toFixed(0)} ms`);
    expect(announced).toBeLessThan(1000);
    expect(withdrawn).toBeLessThan(1000);
    expect(announcerLog().some((l) => /consul_node .*node=edge1/.test(l))).toBe(true);
  });

  it("its Consul check going critical withdraws it; passing again brings it back", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService({ ID: "api-1", Name: "api", Tags: ["exacast", "exacast_vip=10.255.255.41/32", "exacast_port=9000"], Check: { CheckID: "api-ttl", TTL: "60s", Status: "passing" } });
    await until((r) => r["10.255.255.41/32"] === "12345:9000", "api-1 announced", performance.now());
    await watching();
    let t0 = performance.now();
    consul.setCheckStatus("api-ttl", "critical", "HTTP GET http://127.0.0.1:9000/health: 503");
    const down = await until((r) => !("10.255.255.41/32" in r), "api-1 withdrawn", t0);
    t0 = performance.now();
    consul.setCheckStatus("api-ttl", "passing");
    const up = await until((r) => r["10.255.255.41/32"] === "12345:9000", "api-1 back", t0);
    console.log(`Consul: check critical → withdrawn ${down.toFixed(0)} ms (fall 2 × fast_interval 500ms); passing → announced ${up.toFixed(0)} ms`);
    expect(announcerLog().some((l) => /app_state app=consul-api-1 .*to=DOWN .*check api-ttl is critical/.test(l))).toBe(true);
  });

  it("a service whose tags are invalid is skipped with a log naming it and the tag", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService({ ID: "bad-1", Name: "bad", Tags: ["exacast", "exacast_vip=10.255.255.42/32\nannounce route 0.0.0.0/0 next-hop self", "exacast_port=80"] });
    consul.registerService({ ID: "exec-1", Name: "job", Tags: ["exacast", "exacast_vip=10.255.255.43/32", "exacast_check=exec:touch /tmp/pwned"] });
    await waitFor(() => announcerLog().filter((l) => /consul_service_skipped/.test(l)).length >= 2, { what: "two skip logs", timeout: 5000 });
    const skipped = announcerLog().filter((l) => /consul_service_skipped/.test(l));
    expect(skipped.find((l) => l.includes("service=bad-1"))).toMatch(/exacast_vip=10\.255\.255\.42\/32\\\\nannounce route/);
    expect(skipped.find((l) => l.includes("service=exec-1"))).toMatch(/exacast_check=exec:touch \/tmp\/pwned.*consul\.allow_exec/);
    expect(Object.keys(await routes())).toEqual(["10.255.255.41/32"]);
    consul.deregisterService("bad-1");
    consul.deregisterService("exec-1");
  });

  it("the agent stopping leaves a healthy tcp-checked app announced; consul-checked apps hold, then go; all come back", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService({ ID: "tcp-1", Name: "tcp", Port: 443, Tags: ["exacast", "exacast_vip=10.255.255.44/32", `exacast_check=tcp:${backendAt}`] });
    await until((r) => r["10.255.255.44/32"] === "12345:443" && r["10.255.255.41/32"] === "12345:9000", "both announced", performance.now());
    const t0 = performance.now();
    await consul.stop();
    const gone = await until((r) => !("10.255.255.41/32" in r), "the consul-checked app withdrawn after hold", t0);
    // Past the hold (2 s) and the checks that followed it: the tcp-checked app is still there, and never changed state.
    expect(gone).toBeGreaterThan(1900);
    expect(await routes()).toEqual({ "10.255.255.44/32": "12345:443" });
    expect(announcerLog().filter((l) => /app_state app=consul-tcp-1 /.test(l)).map((l) => / to=(\w+)/.exec(l)?.[1])).toEqual(["RISING", "UP"]);
    expect(announcerLog().filter((l) => /consul_unreachable/.test(l))).toHaveLength(1);
    await consul.start();
    const back = await until((r) => r["10.255.255.41/32"] === "12345:9000", "the consul-checked app back", performance.now());
    console.log(`Consul outage: consul-checked app withdrawn ${gone.toFixed(0)} ms after the agent stopped (hold 2s + fall), tcp-checked app kept; back ${back.toFixed(0)} ms after the agent returned`);
    expect(announcerLog().filter((l) => /consul_reachable/.test(l))).toHaveLength(1);
    expect(await routes()).toEqual({ "10.255.255.41/32": "12345:9000", "10.255.255.44/32": "12345:443" });
  });
});
