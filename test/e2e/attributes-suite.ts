// Route attributes and chosen neighbors through a real ExaBGP and two GoBGP
// route servers, read back from each one's adj-in: large and extended
// communities, origin, AS path (ExaBGP puts its own AS first on eBGP), a
// de-preferred route's prepend, the ADD-PATH path id, and VIPs announced to
// one neighbor or both (`neighbor X announce …` in API v4, `peer X …` and
// `peer [X, Y] …` in API v6). A reload that moves a VIP to the other neighbor
// or to another path id takes the old route back. Run for each ExaBGP
// (4.2: API v4; main: API v6) by the test files beside this one.

import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { AdjInRoute, ExaBgp, ExaVersion, GoBgp } from "../harness/index.js";
import { Lab, bin, exabgpRuntime, freePort, waitFor } from "../harness/index.js";
import { TcpBackend } from "../harness/backend.js";

export async function attributesSuite(version: ExaVersion): Promise<void> {
  const runtime = await exabgpRuntime(version);
  const missing = typeof runtime === "string" ? runtime : undefined;
  if (missing) console.warn(`attributes: skipping ExaBGP ${version}: ${missing}`);

  describe.skipIf(missing !== undefined)(`route attributes and neighbors through ExaBGP ${version} and GoBGP`, () => {
    const lab = new Lab(`attributes-${version}`);
    const A = lab.addr(2);
    const web = new TcpBackend(lab.addr(10));
    const config = `${lab.dir}/announcer.yaml`;
    let rs1: GoBgp;
    let rs2: GoBgp;
    let exa: ExaBgp;
    let api = "";

    const apps = (only: string, pathId: number) => [
      `  - name: all`,
      `    vip: 10.255.255.1/32`,
      `    ports: [443]`,
      `    checks: [{ tcp: "${web.host}:${web.port}" }]`,
      `    large_communities: ['65000:1:2']`,
      `    extended_communities: ['target:65000:100', 'origin:64512:4294967295']`,
      `    origin: egp`,
      `    as_path: [65010, 65011]`,
      `  - { name: one, vip: 10.255.255.2/32, ports: [80], neighbors: [${only}] }`,
      `  - { name: both, vip: 10.255.255.3/32, ports: [81], neighbors: [${rs1.address}, ${rs2.address}] }`,
      `  - { name: paths, vip: 10.255.255.4/32, ports: [82], neighbors: [${rs1.address}], path_id: ${pathId} }`,
      // Nothing listens on port 1: DOWN, kept de-preferred with a prepend of ExaBGP's own AS.
      `  - { name: backup, vip: 10.255.255.5/32, ports: [83], checks: [{ tcp: "${web.host}:1" }], on_down: { med: 1000, as_path_prepend: 2 } }`,
    ];
    const file = (only: string, pathId: number) =>
      writeFileSync(
        config,
        ["next_hop: 192.0.2.2", "local_as: 65000", "interval: 200ms", "fast_interval: 100ms", "timeout: 300ms", "rise: 1", "fall: 1", `http: { listen: "${api}" }`, "apps:", ...apps(only, pathId)].join(
          "\n",
        ) + "\n",
      );

    const find = async (rs: GoBgp, prefix: string) => (await rs.adjIn(A)).filter((r) => r.prefix === prefix);
    async function until(rs: GoBgp, prefix: string, ok: (paths: AdjInRoute[]) => boolean, what: string): Promise<AdjInRoute[]> {
      let last: AdjInRoute[] = [];
      await waitFor(
        async () => {
          last = await find(rs, prefix);
          return ok(last);
        },
        { what, timeout: 15_000, interval: 100 },
      ).catch((e: Error) => {
        throw new Error(`${e.message}; ${rs.address} has ${JSON.stringify(last)}`);
      });
      return last;
    }

    beforeAll(async () => {
      if (typeof runtime === "string") return;
      await web.start();
      api = `${lab.addr(3)}:${await freePort(lab.addr(3))}`;
      rs1 = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000, addPath: true }] });
      rs2 = await lab.gobgp({ host: 4, neighbors: [{ address: A, peerAs: 65000 }] });
      file(rs1.address, 7);
      exa = lab.exabgp({
        name: "a",
        address: A,
        asn: 65000,
        runtime,
        neighbors: [
          { address: rs1.address, peerAs: 64999, connect: rs1.port, addPath: true },
          { address: rs2.address, peerAs: 64999, connect: rs2.port },
        ],
        processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", config], encoder: "text" }],
      });
      await Promise.all([rs1.waitEstablished(A), rs2.waitEstablished(A)]).catch((e) => {
        console.log(lab.report());
        throw e;
      });
    });

    afterAll(async () => {
      await lab.close();
      await web.stop();
    });

    it("large and extended communities, origin and AS path, as GoBGP receives them", async () => {
      onTestFailed(() => console.log(lab.report()));
      for (const rs of [rs1, rs2]) {
        const [r] = await until(rs, "10.255.255.1/32", (p) => p.length === 1, `all on ${rs.address}`);
        expect(r).toMatchObject({
          communities: ["12345:443"],
          largeCommunities: ["65000:1:2"],
          extendedCommunities: ["target:65000:100", "origin:64512:4294967295"],
          origin: "egp",
          // ExaBGP sends an AS path it is given as it is, eBGP or not.
          asPath: [65010, 65011],
        });
      }
    });

    it("a DOWN app's de-preferred route carries its prepend and MED", async () => {
      onTestFailed(() => console.log(lab.report()));
      const [r] = await until(rs2, "10.255.255.5/32", (p) => p.length === 1, "backup");
      // Two hops more than the usual [65000]: the prepend count, then the AS ExaBGP would have put alone.
      expect(r).toMatchObject({ communities: [], med: 1000, asPath: [65000, 65000, 65000] });
    });

    it("chosen neighbors: one VIP to the first route server only, another to both", async () => {
      onTestFailed(() => console.log(lab.report()));
      await until(rs1, "10.255.255.2/32", (p) => p.length === 1, "one on rs1");
      await until(rs1, "10.255.255.3/32", (p) => p.length === 1, "both on rs1");
      await until(rs2, "10.255.255.3/32", (p) => p.length === 1, "both on rs2");
      expect(await find(rs2, "10.255.255.2/32")).toEqual([]);
      expect(await find(rs2, "10.255.255.4/32")).toEqual([]);
    });

    it(`the commands went in API v${version === "main" ? 6 : 4}'s form (${version === "main" ? "peer X …, peer [X, Y] …" : "neighbor X , neighbor Y …"})`, () => {
      expect(exa.log()).toMatch(new RegExp(` exabgp_api api=${version === "main" ? 6 : 4} `));
      expect(exa.log()).not.toMatch(/command_error/);
    });

    it("ADD-PATH: the route carries its path id", async () => {
      onTestFailed(() => console.log(lab.report()));
      await until(rs1, "10.255.255.4/32", (p) => p.length === 1, "paths on rs1");
      expect(await rs1.adjInPathIds(A, "10.255.255.4/32")).toEqual([7]);
    });

    it("a reload moves a VIP to the other neighbor and to another path id: the old routes are taken back", async () => {
      onTestFailed(() => console.log(lab.report()));
      const pid = ((await (await fetch(`http://${api}/status`)).json()) as { pid: number }).pid;
      file(rs2.address, 8);
      process.kill(pid, "SIGHUP");
      await until(rs2, "10.255.255.2/32", (p) => p.length === 1, "one moved to rs2");
      await until(rs1, "10.255.255.2/32", (p) => p.length === 0, "one gone from rs1");
      await waitFor(async () => JSON.stringify(await rs1.adjInPathIds(A, "10.255.255.4/32")) === "[8]", { what: "path id 8 alone", timeout: 15_000, interval: 100 });
      // Nothing else moved.
      expect((await find(rs1, "10.255.255.1/32")).length).toBe(1);
      expect((await find(rs2, "10.255.255.3/32")).length).toBe(1);
    });
  });
}
