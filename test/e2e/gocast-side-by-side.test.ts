// exacast beside GoCast's own binary (built from ../shared/peers), both in a
// network namespace this test creates ("host"), both peering with one gobgpd
// in a second namespace ("router") over a veth pair: GoCast from 10.0.0.2
// (AS 65000), ExaBGP 4.2 running exacast-announcer from 10.0.0.3 (AS 65001).
// The same GoCast requests go to both, and the routes each puts in gobgpd's
// adj-in are compared: port:tcp and port:udp monitors of a service bound to
// the host's address only, VIPs with host bits, vip_communities, the service
// stopping, cleanup_timer / cleanup_after, PUT /register, /info's shape, and
// the requests exacast refuses on purpose.

import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { ExaBgp, Lab, bin, waitFor } from "../harness/index.js";
import { gocastBinary } from "../harness/gocast.js";
import { NetNs, netnsProblem } from "../harness/netns.js";

const GOCAST = "10.0.0.2";
const EXA = "10.0.0.3";
const ROUTER = "10.0.0.1";
const GOCAST_API = "http://127.0.0.1:8080";
const EXACAST_API = "http://127.0.0.1:9180";

const nsProblem = netnsProblem();
const built = nsProblem ? { problem: nsProblem } : await gocastBinary();
const skip = "problem" in built ? built.problem : null;
if (skip) console.log(`skipped gocast-side-by-side: ${skip}`);

/** Every key path of a JSON value with its type; arrays by their first item. */
function shape(v: unknown, path = ""): string[] {
  if (Array.isArray(v)) return v.length ? shape(v[0], `${path}[]`) : [`${path}: array`];
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => shape(x, path ? `${path}.${k}` : k));
  return [`${path}: ${v === null ? "null" : typeof v}`];
}

describe.skipIf(skip !== null)("GoCast and exacast side by side, one router", () => {
  const lab = new Lab("gocast-side-by-side");
  let host: NetNs;
  let router: NetNs;
  let service: ChildProcess | undefined;
  const logs = { gocast: "", exabgp: "", gobgpd: "" };

  /** What `peer` announced to the router: prefix → communities. */
  const adjIn = async (peer: string): Promise<Record<string, string>> => {
    const out = await router.tryExec(["gobgp", "-p", "50051", "-j", "neighbor", peer, "adj-in", "-a", "ipv4"]);
    if (!out || out.trim() === "" || out.trim() === "null") return {};
    const table = JSON.parse(out) as Record<string, { attrs?: { type: number; communities?: number[] }[] }[]>;
    return Object.fromEntries(
      Object.entries(table).map(([prefix, paths]) => [prefix, (paths[0]?.attrs?.find((a) => a.type === 8)?.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`).join(" ")]),
    );
  };
  const both = async () => ({ gocast: await adjIn(GOCAST), exacast: await adjIn(EXA) });
  const until = async (probe: (b: { gocast: Record<string, string>; exacast: Record<string, string> }) => boolean, what: string) => {
    let last = {};
    const t0 = performance.now();
    await waitFor(
      async () => {
        const b = await both();
        last = b;
        return probe(b);
      },
      { what: `${what}; last ${JSON.stringify(last)}`, timeout: 15_000, interval: 50 },
    );
    return performance.now() - t0;
  };
  const ask = (api: string, path: string, method = "GET") => host.fetch(method, `${api}${path}`);
  const askBoth = async (path: string, method = "GET") => [await ask(GOCAST_API, path, method), await ask(EXACAST_API, path, method)];
  const report = () => console.log(Object.entries(logs).map(([k, v]) => `===== ${k}\n${v.split("\n").slice(-40).join("\n")}`).join("\n") + lab.report());

  beforeAll(async () => {
    host = NetNs.create("exacast-gc-h");
    router = NetNs.create("exacast-gc-r");
    lab.onClose(() => host.close());
    lab.onClose(() => router.close());
    host.link(router, `${GOCAST}/24`, `${ROUTER}/24`);
    host.ip("address", "add", `${EXA}/24`, "dev", host.ip("-o", "link").match(/^\d+: (v[0-9a-f]+)@/m)![1]!);
    const toml = `${lab.dir}/gobgpd.toml`;
    const neighbor = (address: string, asn: number) =>
      [
        "[[neighbors]]",
        "  [neighbors.config]",
        `    neighbor-address = "${address}"`,
        `    peer-as = ${asn}`,
        "  [neighbors.transport.config]",
        "    passive-mode = true",
        "  [neighbors.timers.config]",
        "    idle-hold-time-after-reset = 1",
      ].join("\n");
    writeFileSync(toml, ["[global.config]", "  as = 64999", `  router-id = "${ROUTER}"`, `  local-address-list = ["${ROUTER}"]`, neighbor(GOCAST, 65000), neighbor(EXA, 65001)].join("\n") + "\n");
    await router.start(["gobgpd", "-f", toml, "--api-hosts", "127.0.0.1:50051", "-l", "info"], { log: (s) => (logs.gobgpd += s) });
    await waitFor(async () => (await router.tryExec(["gobgp", "-p", "50051", "neighbor"])) !== null, { what: "gobgpd", timeout: 15_000 });

    const gocastYaml = `${lab.dir}/gocast.yaml`;
    writeFileSync(
      gocastYaml,
      [
        "agent:",
        "  listen_addr: 127.0.0.1:8080",
        "  monitor_interval: 500ms",
        "  cleanup_timer: 2s",
        "bgp:",
        "  local_as: 65000",
        "  peer_as: 64999",
        `  local_ip: ${GOCAST}`,
        `  peer_ip: ${ROUTER}`,
        "  origin: igp",
      ].join("\n") + "\n",
    );
    await host.start([(built as { bin: string }).bin, "-config", gocastYaml, "-logtostderr", "-v", "2"], { log: (s) => (logs.gocast += s) });

    const announcerYaml = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      announcerYaml,
      ["next_hop: self", "interval: 500ms", "fast_interval: 100ms", "rise: 1", "fall: 1", `http: { listen: "127.0.0.1:9180", cleanup_after: 2s }`].join("\n") + "\n",
    );
    const exa = new ExaBgp(lab, {
      name: "exa",
      address: EXA,
      asn: 65001,
      neighbors: [{ address: ROUTER, peerAs: 64999, connect: 179 }],
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", announcerYaml], encoder: "text" }],
    });
    await host.start(["exabgp", exa.configFile], { env: exa.env(), log: (s) => (logs.exabgp += s) });
    await waitFor(async () => (await ask(GOCAST_API, "/info")).status === 200 && (await ask(EXACAST_API, "/info")).status === 200, { what: "both APIs", timeout: 20_000 });
    // Both sessions up before the tests time anything (GoCast adds its peer at its first announcement).
    await askBoth("/register?name=warmup&vip=10.255.19.1/32");
    await until((b) => "10.255.19.1/32" in b.gocast && "10.255.19.1/32" in b.exacast, "both sessions up");
    await askBoth("/unregister?name=warmup");
    await until((b) => Object.keys(b.gocast).length + Object.keys(b.exacast).length === 0, "warm-up withdrawn");
    service = await host.echo(GOCAST, 7001);
  }, 300_000);

  afterAll(async () => {
    await lab.close();
  });

  it("port:tcp and port:udp monitors of a service bound to the host's address only: both announce, host bits masked, vip_communities added", async () => {
    onTestFailed(report);
    const [gw, ew] = await askBoth("/register?name=web&vip=10.255.20.7/24&monitor=port:tcp:7001&vip_communities=65000:7");
    const [gd, ed] = await askBoth("/register?name=dns&vip=10.255.21.1/32&monitor=port:udp:7001");
    expect([gw!.status, ew!.status, gd!.status, ed!.status]).toEqual([200, 200, 200, 200]);
    const ms = await until((b) => ["10.255.20.0/24", "10.255.21.1/32"].every((p) => p in b.gocast && p in b.exacast), "both announce both VIPs");
    const b = await both();
    expect(b.gocast["10.255.20.0/24"]).toBe("65000:7");
    expect(b.exacast["10.255.20.0/24"]).toBe("12345:7001 65000:7");
    expect(Object.keys(b.gocast).sort()).toEqual(Object.keys(b.exacast).sort());
    console.log(`side by side: both VIPs in the router from both within ${ms.toFixed(0)} ms of the registrations`);
  });

  it("the service stops: both withdraw both VIPs", async () => {
    onTestFailed(report);
    process.kill(-service!.pid!, "SIGKILL");
    const ms = await until((b) => Object.keys(b.gocast).length === 0 && Object.keys(b.exacast).length === 0, "both withdraw");
    console.log(`side by side: service stopped → both withdrawn within ${ms.toFixed(0)} ms (GoCast monitor_interval 500ms, exacast interval 500ms, fall 1)`);
  });

  it("cleanup_timer / cleanup_after 2s: both drop the withdrawn apps; with the service back, neither announces them again", async () => {
    onTestFailed(report);
    await waitFor(() => /Cleaning up app web/.test(logs.gocast) && /Cleaning up app dns/.test(logs.gocast), { what: "GoCast's cleanup", timeout: 10_000 });
    await waitFor(async () => (await ask(EXACAST_API, "/v1/apps/web")).status === 404 && (await ask(EXACAST_API, "/v1/apps/dns")).status === 404, { what: "exacast's cleanup", timeout: 10_000 });
    service = await host.echo(GOCAST, 7001);
    // A new app on the same monitor: once both announce it, both have seen the service back.
    await askBoth("/register?name=canary&vip=10.255.23.1/32&monitor=port:tcp:7001");
    await until((b) => "10.255.23.1/32" in b.gocast && "10.255.23.1/32" in b.exacast, "the canary announced by both");
    const b = await both();
    expect(Object.keys(b.gocast)).toEqual(["10.255.23.1/32"]);
    expect(Object.keys(b.exacast)).toEqual(["10.255.23.1/32"]);
    await askBoth("/unregister?name=canary");
  });

  it("PUT /register is taken by both (no monitor: always healthy); /unregister withdraws from both", async () => {
    onTestFailed(report);
    const [g, e] = await askBoth("/register?name=put1&vip=10.255.22.1/32", "PUT");
    expect([g!.status, e!.status]).toEqual([200, 200]);
    await until((b) => "10.255.22.1/32" in b.gocast && "10.255.22.1/32" in b.exacast, "both announce put1");
    await askBoth("/unregister?name=put1");
    await until((b) => !("10.255.22.1/32" in b.gocast) && !("10.255.22.1/32" in b.exacast), "both withdraw put1");
  });

  it("/info: both answer their router session established; every key exacast writes is one GoCast writes, same type", async () => {
    onTestFailed(report);
    const [g, e] = await askBoth("/info");
    const gi = JSON.parse(g!.body!) as { conf: { neighbor_address: string }; state: { session_state: number } };
    const ei = JSON.parse(e!.body!) as typeof gi;
    expect([gi.conf.neighbor_address, gi.state.session_state]).toEqual([ROUTER, 6]);
    expect([ei.conf.neighbor_address, ei.state.session_state]).toEqual([ROUTER, 6]);
    const theirs = new Set(shape(gi));
    expect(shape(ei).filter((k) => !theirs.has(k))).toEqual([]);
  });

  it("what exacast refuses on purpose: an unknown monitor (GoCast: 200, never up), no name (GoCast's handler panics: no answer)", async () => {
    onTestFailed(report);
    const [g, e] = await askBoth("/register?name=odd&vip=10.255.24.1/32&monitor=ping");
    expect(g!.status).toBe(200);
    expect(e!.status).toBe(400);
    expect(e!.body).toMatch(/monitor\[0\]: expected port:tcp:<port>, port:udp:<port>, exec:<command> or consul/);
    const [gn, en] = await askBoth("/register?vip=10.255.24.2/32");
    expect(gn!.error).toBeDefined();
    expect(en!.status).toBe(400);
    await askBoth("/unregister?name=odd");
  });
});
