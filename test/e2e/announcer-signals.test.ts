// Under real ExaBGP 4.2 and GoBGP: SIGTERM to the announcer itself drains
// (65535:0 for drain_time) before withdrawing, and ExaBGP restarts it; and the
// announcer speaks to an ExaBGP with api.ack off and the JSON encoder.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, helper, waitFor } from "../harness/index.js";

describe("announcer signals and ExaBGP variants", () => {
  const lab = new Lab("announcer-sig");
  const A = lab.addr(2);
  const B = lab.addr(3);
  const backend = createServer((c) => c.destroy());
  let rs: GoBgp;
  let a: ExaBgp;
  let b: ExaBgp;

  const communities = async (peer: string) => Object.fromEntries((await rs.adjIn(peer)).map((r) => [r.prefix, r.communities.join(" ")]));
  const logOf = (e: ExaBgp) => e.log().split("\n");

  beforeAll(async () => {
    await new Promise<void>((r) => backend.listen(0, lab.addr(10), r));
    const check = `${lab.addr(10)}:${(backend.address() as AddressInfo).port}`;
    const common = ["next_hop: 192.0.2.2", "interval: 200ms", "fast_interval: 100ms", "rise: 2", "fall: 2"];
    writeFileSync(
      `${lab.dir}/a.yaml`,
      [...common, "drain_time: 1500ms", "apps:", `  - { name: web, vip: 10.255.255.1/32, ports: [443], checks: [{ tcp: "${check}" }] }`].join("\n") + "\n",
    );
    writeFileSync(
      `${lab.dir}/b.yaml`,
      [...common, "ack: false", "apps:", `  - { name: web, vip: 10.255.255.2/32, ports: [80], checks: [{ tcp: "${check}" }] }`].join("\n") + "\n",
    );
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
    a = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", `${lab.dir}/a.yaml`], encoder: "text" }],
    });
    b = lab.exabgp({
      name: "b",
      address: B,
      asn: 65001,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [
        {
          name: "announcer",
          run: [...helper("exit-witness.mjs"), `${lab.dir}/b-exit.json`, ...bin("exacast-announcer"), "--config", `${lab.dir}/b.yaml`],
          encoder: "json",
        },
      ],
      env: { "exabgp.api.ack": "false" },
    });
    await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
  });

  afterAll(async () => {
    await lab.close();
    await new Promise((r) => backend.close(r));
  });

  it("SIGTERM to the announcer: drains for drain_time, withdraws, exits 0; ExaBGP starts it again", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(async () => (await communities(A))["10.255.255.1/32"] === "12345:443", { what: "announced", timeout: 10_000 });
    const pid = Number(/ start .*pid=(\d+)/.exec(a.log())?.[1]);
    expect(pid).toBeGreaterThan(0);
    const t0 = Date.now();
    process.kill(pid, "SIGTERM");
    await waitFor(async () => (await communities(A))["10.255.255.1/32"] === "12345:443 65535:0", { what: "draining route", timeout: 5000, interval: 50 });
    await waitFor(async () => (await communities(A))["10.255.255.1/32"] === undefined, { what: "withdrawn after the drain", timeout: 5000, interval: 50 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    const log = logOf(a);
    const exitLine = log.findIndex((l) => / exit code=0 withdrawn=1/.test(l));
    expect(exitLine).toBeGreaterThan(0);
    expect(log.slice(0, exitLine).some((l) => / shutdown reason=SIGTERM /.test(l))).toBe(true);
    // Every command was answered: the exit waited for ExaBGP's `done`s.
    expect(log[exitLine - 1]).toMatch(/ack_errors=0 ack_timeouts=0/);
    // ExaBGP runs its process again, and the route comes back.
    await waitFor(() => logOf(a).filter((l) => / start version=/.test(l)).length === 2, { what: "announcer restarted", timeout: 10_000 });
    await waitFor(async () => (await communities(A))["10.255.255.1/32"] === "12345:443", { what: "announced again", timeout: 10_000 });
  });

  it("api.ack off and the JSON encoder: announces, re-sends on a JSON `up`, exits 0 on the JSON shutdown", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(async () => (await communities(B))["10.255.255.2/32"] === "12345:80", { what: "announced by b", timeout: 10_000 });
    const log = () => logOf(b);
    expect(log().some((l) => / neighbor neighbor=\S+ state=up/.test(l))).toBe(true);
    expect(log().some((l) => / ack_timeout /.test(l))).toBe(false);
    const stop = await b.stop("SIGTERM");
    expect(stop?.code).toBe(0);
    await waitFor(() => existsSync(`${lab.dir}/b-exit.json`), { what: "b's announcer exit recorded" });
    expect(JSON.parse(readFileSync(`${lab.dir}/b-exit.json`, "utf8"))).toEqual({ code: 0, signal: null });
    expect(log().some((l) => / shutdown reason=exabgp /.test(l))).toBe(true);
    await waitFor(async () => (await communities(B))["10.255.255.2/32"] === undefined, { what: "b's route gone" });
  });
});
