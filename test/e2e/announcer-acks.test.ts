// The announcer's `ack` against what ExaBGP 4.2 really does, through GoBGP.
// exabgp.api.ack=false with the announcer's default `ack: true` used to cost
// every command its 5 s answer timeout (3 backends down took 15 s to leave
// the route server): the announcer now stops waiting when the first command
// gets no answer, and says why. The reverse (`ack: false`, ExaBGP answering):
// it starts waiting for answers once every command written was answered.

import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, waitFor } from "../harness/index.js";
import { TcpBackend } from "../harness/backend.js";

const lab = new Lab("announcer-acks");
const A = lab.addr(2);
const B = lab.addr(3);
const VIPS = ["10.255.8.1/32", "10.255.8.2/32", "10.255.8.3/32"];
const backends = VIPS.map((_, i) => new TcpBackend(lab.addr(10 + i)));
const backendB = new TcpBackend(lab.addr(20));
let rs: GoBgp;
let a: ExaBgp;
let b: ExaBgp;
let startedA = 0;

const common = ["next_hop: 192.0.2.2", "interval: 500ms", "fast_interval: 100ms", "rise: 2", "fall: 2"];
const app = (name: string, vip: string, backend: TcpBackend) => `  - { name: ${name}, vip: ${vip}, ports: [443], checks: [{ tcp: "${backend.host}:${backend.port}" }] }`;
const adjIn = async (peer: string) => (await rs.adjIn(peer)).map((r) => r.prefix).sort();

/** Wait until `peer`'s adj-in is exactly `want`; the ms since `t0`. */
async function adjInIs(peer: string, want: string[], t0: number, timeout: number): Promise<number> {
  let last: string[] = [];
  try {
    await waitFor(
      async () => {
        last = await adjIn(peer);
        return last.join(" ") === want.join(" ");
      },
      { what: `adj-in of ${peer}: ${want.join(" ") || "empty"}`, timeout, interval: 20 },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last: ${last.join(" ") || "empty"}`);
  }
  return Math.round(performance.now() - t0);
}

beforeAll(async () => {
  for (const x of [...backends, backendB]) await x.start();
  // `ack` not set: the default, true.
  writeFileSync(`${lab.dir}/a.yaml`, [...common, "apps:", ...VIPS.map((v, i) => app(`web${i}`, v, backends[i]!))].join("\n") + "\n");
  writeFileSync(`${lab.dir}/b.yaml`, [...common, "ack: false", "apps:", app("web", "10.255.8.9/32", backendB)].join("\n") + "\n");
  rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
  const exa = (name: string, address: string, asn: number, env: Record<string, string>) =>
    lab.exabgp({
      name,
      address,
      asn,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", `${lab.dir}/${name}.yaml`], encoder: "text" }],
      env,
    });
  startedA = performance.now();
  a = exa("a", A, 65000, { "exabgp.api.ack": "false" });
  b = exa("b", B, 65001, {});
  await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
}, 60_000);

afterAll(async () => {
  await lab.close();
  for (const x of [...backends, backendB]) await x.stop();
});

describe("ack: the announcer's setting against ExaBGP's", () => {
  it("exabgp.api.ack=false, ack: true (default): the first command unanswered, it stops waiting; 3 backends down leave GoBGP in well under 15 s", { timeout: 40_000 }, async () => {
    onTestFailed(() => console.log(lab.report(40)));
    const up = await adjInIs(A, VIPS, startedA, 15_000);
    const t0 = performance.now();
    for (const x of backends) await x.stop();
    const down = await adjInIs(A, [], t0, 15_000);
    console.log(`api.ack=false, ack: true: 3 VIPs in GoBGP ${up} ms after ExaBGP started; 3 backends down left GoBGP in ${down} ms`);
    // fall (2) checks at interval 500 ms / fast_interval 100 ms, then the withdraws at once: no 5 s waits.
    expect(down).toBeLessThan(3000);
    const log = a.log();
    expect(log).toMatch(/ WARN .*acks_off .*waited_ms=1\d\d\d .*exabgp\.api\.ack=false/);
    expect(log).not.toMatch(/ ack_timeout /);
  });

  it("exabgp.api.ack=true (4.2's default), ack: false: acks are seen and waited for from then on", { timeout: 30_000 }, async () => {
    onTestFailed(() => console.log(lab.report(40)));
    await adjInIs(B, ["10.255.8.9/32"], performance.now(), 10_000);
    await b.waitLog(/ acks_on .*set ack: true/, 5000);
    const t0 = performance.now();
    await backendB.stop();
    const down = await adjInIs(B, [], t0, 10_000);
    console.log(`api.ack=true, ack: false: the backend down left GoBGP in ${down} ms`);
    expect(b.log()).not.toMatch(/ (ack_timeout|command_error|ack_unexpected) /);
  });
});
