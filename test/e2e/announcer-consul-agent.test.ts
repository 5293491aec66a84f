// Consul as it really behaves, through ExaBGP 4.2 and GoBGP: an agent that
// leaves and restarts, a cluster that loses its leader, an index that goes
// backwards, sidecars, maintenance, `warning`, node checks, EnableTagOverride,
// a node name in another case. Consul is the agent emulator with a
// least-privilege token (the README's policy). Figures are printed.
//
// Timers: the contract's defaults (rise 2, fall 2, fast_interval 500ms);
// consul: interval 200ms, wait 2s, hold 4s (longer than an app's 2 s check interval,
// so a held result shows in GET /v1/apps before the hold runs out).

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startConsulEmulator, type ConsulEmulator } from "../consul-emulator/index.js";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, freePort, waitFor, adjInCommunities, untilAdjIn } from "../harness/index.js";

/** The README's policy: node read, service_prefix read, agent read (only to learn the node name). */
const POLICY = { rules: { node: { edge1: "read" as const }, service_prefix: { "": "read" as const }, agent: { edge1: "read" as const } } };

describe("announcer with Consul as it really behaves (agent, cluster, services)", () => {
  const lab = new Lab("announcer-consul-agent");
  const A = lab.addr(2);
  const backend = createServer((c) => c.destroy());
  let consul: ConsulEmulator;
  let rs: GoBgp;
  let exa: ExaBgp;
  let backendAt = "";

  const routes = () => adjInCommunities(rs, A);
  const until = (probe: (r: Record<string, string>) => boolean, what: string, t0 = performance.now(), timeout = 10_000): Promise<number> =>
    untilAdjIn(rs, A, probe, what, { t0, timeout });
  let api = "";
  /** The main announcer's view of one app (GET /v1/apps/<name>). */
  const app = async (name: string) => (await (await fetch(`${api}/v1/apps/${name}`)).json()) as { state: string; checks: { last: { ok: boolean; reason: string } | null }[] };
  const log = () => exa.log().split("\n");
  const count = (re: RegExp) => log().filter((l) => re.test(l)).length;
  /** Both announcers' two watches hang in a blocking query: a change now is seen as in production. */
  const watching = () => waitFor(() => consul.blockedQueries >= 4, { what: "the announcers' blocking queries", timeout: 5000, interval: 5 });
  const tagged = (id: string, vip: string, extra: Record<string, unknown> = {}) => ({ ID: id, Name: id.replace(/-\d+$/, ""), Port: 8443, Tags: ["exacast", `exacast_vip=${vip}`], ...extra });
  const ttl = (id: string) => ({ Check: { CheckID: `${id}-ttl`, TTL: "10m", Status: "passing" } });

  beforeAll(async () => {
    await new Promise<void>((r) => backend.listen(0, lab.addr(10), r));
    backendAt = `${lab.addr(10)}:${(backend.address() as AddressInfo).port}`;
    consul = await startConsulEmulator({ node: "edge1", aclTokens: { announcer: POLICY } });
    const port = await freePort(A);
    api = `http://${A}:${port}`;
    const config = (name: string, consulKeys: string, more: string[] = []) => {
      const file = `${lab.dir}/${name}.yaml`;
      writeFileSync(file, ["next_hop: [192.0.2.2, 2001:db8::2]", `consul: { address: "${consul.address}", token: announcer, interval: 200ms, wait: 2s, hold: 4s${consulKeys} }`, ...more].join("\n") + "\n");
      return file;
    };
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
    exa = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [
        { name: "announcer", run: [...bin("exacast-announcer"), "--config", config("main", "", [`http: { listen: "${A}:${port}" }`])], encoder: "text" },
        // The same agent, its node name given in another case and its own tag.
        { name: "upper", run: [...bin("exacast-announcer"), "--config", config("upper", ", node: EDGE1, tag: upper")], encoder: "text" },
      ],
    });
    await rs.waitEstablished(A);
    await watching();
  });

  afterAll(async () => {
    await lab.close();
    await consul.close();
    await new Promise((r) => backend.close(r));
  });

  it("a sidecar (kind connect-proxy, its parent's tags, port 21000) is not an app: the VIP carries the parent's port only", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService(tagged("web-1", "10.255.255.40/32", { ...ttl("web-1"), Connect: { SidecarService: {} } }));
    for (const n of [1, 2]) consul.setCheckStatus(`service:web-1-sidecar-proxy:${n}`, "passing"); // the proxy is healthy
    await until((r) => r["10.255.255.40/32"] === "12345:8443", "web-1 announced");
    // A later app is UP after the sidecar would have been: the VIP still has one port.
    consul.registerService(tagged("later-1", "10.255.255.49/32", ttl("later-1")));
    await until((r) => "10.255.255.49/32" in r, "later-1 announced");
    expect((await routes())["10.255.255.40/32"]).toBe("12345:8443");
  });

  it("the agent restarting (graceful leave, stop, start; its checks critical until they run) withdraws nothing: held", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService(tagged("api-1", "10.255.255.41/32", { Check: { CheckID: "api-http", HTTP: "http://127.0.0.1:8443/health", Interval: "10s" } }));
    consul.setCheckStatus("api-http", "passing", "HTTP GET http://127.0.0.1:8443/health: 200 OK");
    await until((r) => r["10.255.255.41/32"] === "12345:8443", "api-1 announced");
    await watching();
    const downs = () => count(/app_state app=consul-(api|web)-1 .*to=(FALLING|DOWN)/);
    const before = { downs: downs(), reachable: count(/consul_reachable/) };
    const t0 = performance.now();
    consul.leave(); // the servers delete the node: blocked queries answer [] and null
    await waitFor(() => count(/consul_not_visible/) >= 1, { what: "the announcer seeing the node gone", timeout: 5000 });
    await consul.stop();
    await consul.start({ rejoin: false });
    consul.join();
    await waitFor(() => count(/consul_reachable/) > before.reachable, { what: "the announcer seeing the agent back", timeout: 5000 });
    const back = performance.now() - t0;
    // Meanwhile api-1's consul check ran on held results: its check not run yet since the restart.
    await waitFor(async () => /checks not run yet since the agent restarted/.test((await app("consul-api-1")).checks[0]!.last?.reason ?? ""), { what: "a held result", timeout: 5000 });
    consul.setCheckStatus("api-http", "passing", "HTTP GET http://127.0.0.1:8443/health: 200 OK"); // its first run
    await waitFor(async () => (await app("consul-api-1")).checks[0]!.last?.reason === "1 check passing", { what: "a fresh result", timeout: 5000 });
    const fresh = performance.now() - t0;
    console.log(`agent restart: node back in the catalog ${back.toFixed(0)} ms after the leave, api-1 checked fresh again at ${fresh.toFixed(0)} ms; routes withdrawn: ${downs() - before.downs} (hold 4s)`);
    expect(downs()).toBe(before.downs);
    expect((await app("consul-api-1")).state).toBe("UP");
    expect((await routes())["10.255.255.41/32"]).toBe("12345:8443");
  });

  it("an agent away longer than `hold` withdraws its consul-checked apps; back, they are re-announced once their checks run", async () => {
    onTestFailed(() => console.log(lab.report()));
    const t0 = performance.now();
    consul.leave();
    await consul.stop();
    const gone = await until((r) => !("10.255.255.41/32" in r), "api-1 withdrawn after hold + fall", t0);
    await consul.start();
    const t1 = performance.now();
    consul.setCheckStatus("api-http", "passing", "HTTP GET http://127.0.0.1:8443/health: 200 OK");
    const back = await until((r) => r["10.255.255.41/32"] === "12345:8443", "api-1 re-announced", t1);
    console.log(`agent away: withdrawn ${gone.toFixed(0)} ms after it left (hold 4s + fall); re-announced ${back.toFixed(0)} ms after it was back with its check passing (rise 2 × 500 ms)`);
    expect(gone).toBeGreaterThan(3900);
  });

  it("without a leader ?stale reads go on: nothing withdrawn, nothing logged as unreachable; what changed meanwhile arrives with the new leader", async () => {
    onTestFailed(() => console.log(lab.report()));
    await until((r) => "10.255.255.40/32" in r && "10.255.255.41/32" in r, "both announced");
    await watching();
    const errors = count(/consul_unreachable|consul_not_visible/);
    const lost = Date.now();
    consul.setLeader(false);
    consul.registerService(tagged("db-1", "10.255.255.42/32", ttl("db-1"))); // accepted by the agent, not yet by the servers
    const answered = () => consul.requests.filter((r) => r.path === "/v1/health/node/edge1" && r.status === 200 && r.at - r.ms > lost).length;
    onTestFailed(() => consul.setLeader(true)); // the next tests need one
    await waitFor(() => answered() >= 2, { what: "queries answered without a leader", timeout: 8000 });
    expect(count(/consul_no_leader/)).toBeGreaterThanOrEqual(1);
    expect("10.255.255.42/32" in (await routes())).toBe(false);
    const t0 = performance.now();
    consul.setLeader(true);
    const took = await until((r) => "10.255.255.42/32" in r, "db-1 after the election", t0);
    console.log(`leader loss: ${answered()} reads answered without a leader; a registration made meanwhile announced ${took.toFixed(0)} ms after the election (rise 2 × 500 ms)`);
    expect(count(/consul_unreachable|consul_not_visible/)).toBe(errors);
    expect(await routes()).toMatchObject({ "10.255.255.40/32": "12345:8443", "10.255.255.41/32": "12345:8443" });
  });

  it("the index going backwards (a snapshot restore): the watches start over and see the next change", async () => {
    onTestFailed(() => console.log(lab.report()));
    await watching();
    consul.rewindIndex(5);
    const t0 = performance.now();
    consul.registerService(tagged("restored-1", "10.255.255.43/32", ttl("restored-1")));
    const took = await until((r) => "10.255.255.43/32" in r, "restored-1 announced", t0);
    console.log(`index reset: a registration after a snapshot restore announced in ${took.toFixed(0)} ms`);
    expect(count(/consul_index_reset/)).toBeGreaterThanOrEqual(1);
  });

  it("maintenance mode, of a service then of the node, disables consul-checked apps with the operator's reason; a tcp-checked app stays", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService(tagged("tcp-1", "10.255.255.44/32", { Tags: ["exacast", "exacast_vip=10.255.255.44/32", `exacast_check=tcp:${backendAt}`] }));
    await until((r) => "10.255.255.44/32" in r, "tcp-1 announced");
    await watching();
    let t0 = performance.now();
    consul.serviceMaintenance("web-1", true, "deploy 42");
    const off = await until((r) => !("10.255.255.40/32" in r), "web-1 withdrawn", t0);
    expect(log().some((l) => /app_state app=consul-web-1 .*to=DISABLED .*maintenance mode: deploy 42/.test(l))).toBe(true);
    consul.serviceMaintenance("web-1", false);
    await until((r) => "10.255.255.40/32" in r, "web-1 back");
    await watching();
    t0 = performance.now();
    consul.nodeMaintenance(true, "kernel upgrade");
    const node = await until((r) => !("10.255.255.40/32" in r) && !("10.255.255.41/32" in r), "consul-checked apps withdrawn", t0);
    expect((await routes())["10.255.255.44/32"]).toBe("12345:8443");
    expect(log().some((l) => /to=DISABLED .*node edge1 is in Consul maintenance mode: kernel upgrade/.test(l))).toBe(true);
    consul.nodeMaintenance(false);
    await until((r) => "10.255.255.40/32" in r && "10.255.255.41/32" in r, "all back");
    console.log(`maintenance: service → withdrawn ${off.toFixed(0)} ms, node → withdrawn ${node.toFixed(0)} ms (DISABLED at once, no fall)`);
  });

  it("a check in `warning`, and a node check other than serfHealth going critical, withdraw consul-checked apps", async () => {
    onTestFailed(() => console.log(lab.report()));
    await watching();
    consul.setCheckStatus("web-1-ttl", "warning", "p99 latency 900ms");
    await until((r) => !("10.255.255.40/32" in r), "web-1 withdrawn on warning");
    expect(log().some((l) => /app_state app=consul-web-1 .*to=DOWN .*check web-1-ttl is warning: p99 latency 900ms/.test(l))).toBe(true);
    consul.setCheckStatus("web-1-ttl", "passing");
    await until((r) => "10.255.255.40/32" in r, "web-1 back");
    consul.registerCheck({ CheckID: "disk", Name: "disk", TTL: "10m", Status: "passing" }); // a node check
    await watching();
    consul.setCheckStatus("disk", "critical", "/var 99% full");
    await until((r) => !("10.255.255.40/32" in r) && !("10.255.255.41/32" in r) && "10.255.255.44/32" in r, "consul-checked apps withdrawn, tcp-1 kept");
    expect(log().some((l) => /to=DOWN .*node check disk is critical: \/var 99% full/.test(l))).toBe(true);
    consul.deregisterCheck("disk");
    await until((r) => "10.255.255.40/32" in r && "10.255.255.41/32" in r, "all back");
  });

  it("EnableTagOverride: tags another client writes to the catalog are followed, and kept by the agent's sync; without it the sync puts them back", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService(tagged("free-1", "10.255.255.45/32", { ...ttl("free-1"), EnableTagOverride: true }));
    consul.registerService(tagged("owned-1", "10.255.255.46/32", ttl("owned-1")));
    await until((r) => "10.255.255.45/32" in r && "10.255.255.46/32" in r, "free-1 and owned-1 announced");
    await watching();
    consul.catalogSetTags("free-1", ["exacast", "exacast_vip=10.255.255.47/32"]);
    consul.catalogSetTags("owned-1", ["exacast", "exacast_vip=10.255.255.48/32"]);
    await until((r) => "10.255.255.47/32" in r && "10.255.255.48/32" in r && !("10.255.255.45/32" in r) && !("10.255.255.46/32" in r), "both moved");
    consul.antiEntropy();
    await until((r) => "10.255.255.46/32" in r && !("10.255.255.48/32" in r), "owned-1 put back by anti-entropy");
    expect("10.255.255.47/32" in (await routes())).toBe(true);
  });

  it("a node name given in another case finds the same node (Consul's node names are not case-sensitive)", async () => {
    onTestFailed(() => console.log(lab.report()));
    consul.registerService({ ID: "case-1", Name: "case", Port: 7000, Tags: ["upper", "exacast_vip=10.255.255.50/32"], ...ttl("case-1") });
    await until((r) => r["10.255.255.50/32"] === "12345:7000", "case-1 announced by the EDGE1 announcer");
    expect(consul.requests.some((r) => r.path === "/v1/health/node/EDGE1" && r.status === 200)).toBe(true);
  });
});
