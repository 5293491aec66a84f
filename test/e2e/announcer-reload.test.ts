// Operations through a real ExaBGP 4.2 and a GoBGP route server: SIGHUP
// reloads the config file (an unchanged app's route is never withdrawn, a
// changed one is announced again with its new attributes, a removed one
// withdrawn, a new one announced; a bad file refused with the old config kept),
// and SIGUSR2 or POST /v1/checks runs every check at once (the apps here are
// checked once an hour otherwise).

import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, freePort, waitFor } from "../harness/index.js";
import { TcpBackend } from "../harness/backend.js";

describe("SIGHUP, SIGUSR2 and POST /v1/checks through ExaBGP and GoBGP", () => {
  const lab = new Lab("reload");
  const A = lab.addr(2);
  const web = new TcpBackend(lab.addr(10));
  const lazy = new TcpBackend(lab.addr(11));
  const config = `${lab.dir}/announcer.yaml`;
  let api = "";
  let pid = 0;
  let rs: GoBgp;
  let exa: ExaBgp;

  const announcerLog = () => exa.log().split("\n").filter((l) => / (INFO|WARN|ERROR|DEBUG) /.test(l));
  async function routesBecome(want: Record<string, string>, what: string): Promise<void> {
    let last = "";
    const wanted = JSON.stringify(Object.fromEntries(Object.entries(want).sort(([a], [b]) => a.localeCompare(b))));
    await waitFor(
      async () => {
        last = JSON.stringify(Object.fromEntries((await rs.adjIn(A)).map((r) => [r.prefix, r.communities.join(" ")])));
        return last === wanted;
      },
      { what, timeout: 10_000, interval: 100 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; GoBGP has ${last}`);
    });
  }
  const file = (apps: string[], extra: string[] = []) =>
    writeFileSync(
      config,
      ["next_hop: 192.0.2.2", "interval: 200ms", "fast_interval: 100ms", "rise: 1", "fall: 1", `http: { listen: "${api}" }`, ...extra, "apps:", ...apps].join("\n") + "\n",
    );
  const WEB = () => `  - { name: web, vip: 10.255.255.1/32, ports: [443], checks: [{ tcp: "${web.host}:${web.port}" }] }`;
  const OLD = `  - { name: old, vip: 10.255.255.2/32, ports: [25] }`;
  const LAZY = () => `  - { name: lazy, vip: 10.255.255.3/32, ports: [8080], interval: 1h, checks: [{ tcp: "${lazy.host}:${lazy.port}" }] }`;

  beforeAll(async () => {
    await web.start();
    await lazy.start();
    api = `${lab.addr(3)}:${await freePort(lab.addr(3))}`;
    file([WEB(), OLD, LAZY()]);
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
    exa = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", config], encoder: "text" }],
    });
    await rs.waitEstablished(A).catch((e) => {
      console.log(lab.report());
      throw e;
    });
    // The announcer's pid, from its own /status: signals go to it, not to ExaBGP.
    pid = await waitFor(async () => ((await (await fetch(`http://${api}/status`)).json()) as { pid: number }).pid, { what: "announcer /status" });
  });

  afterAll(async () => {
    await lab.close();
    await web.stop();
    await lazy.stop();
  });

  it("SIGHUP: a changed app announced again with its new communities, a removed one withdrawn, a new one announced; the unchanged app untouched", async () => {
    onTestFailed(() => console.log(lab.report()));
    await routesBecome({ "10.255.255.1/32": "12345:443", "10.255.255.2/32": "12345:25", "10.255.255.3/32": "12345:8080" }, "first routes");
    const mark = announcerLog().length;
    file([WEB(), LAZY().replace("ports: [8080]", "ports: [8080], communities: ['65000:9']"), "  - { name: new, vip: 10.255.255.4/32, ports: [53] }"]);
    process.kill(pid, "SIGHUP");
    await routesBecome(
      { "10.255.255.1/32": "12345:443", "10.255.255.3/32": "12345:8080 65000:9", "10.255.255.4/32": "12345:53" },
      "the reloaded config's routes",
    );
    const after = announcerLog().slice(mark);
    expect(after.some((l) => / config_reloaded .*created=1 changed=1 removed=1/.test(l))).toBe(true);
    // web and its route were not touched: no command for its VIP, no state change.
    expect(after.filter((l) => /vip=10\.255\.255\.1\/32|app=web /.test(l))).toEqual([]);
    expect(after.filter((l) => / withdraw vip=10\.255\.255\.3\//.test(l))).toEqual([]);
  });

  it("SIGHUP with a bad file: refused, every problem logged, the running config kept", async () => {
    onTestFailed(() => console.log(lab.report()));
    const mark = announcerLog().length;
    file([WEB().replace("ports: [443]", "ports: [70000]"), "  - { name: new, vip: 10.255.255.4/33 }"]);
    process.kill(pid, "SIGHUP");
    await waitFor(() => announcerLog().slice(mark).find((l) => / config_refused /.test(l)), { what: "config_refused" });
    const refused = announcerLog().slice(mark).find((l) => / config_refused /.test(l))!;
    expect(refused).toMatch(/ERROR/);
    expect(refused).toMatch(/apps\[0\]\.ports\[0\]: expected a port number/);
    expect(refused).toMatch(/apps\[1\]\.vip/);
    // The announcer still runs its old apps: a route change still comes through.
    await web.stop();
    await routesBecome({ "10.255.255.3/32": "12345:8080 65000:9", "10.255.255.4/32": "12345:53" }, "web withdrawn by the running config");
    await web.start();
    await routesBecome({ "10.255.255.1/32": "12345:443", "10.255.255.3/32": "12345:8080 65000:9", "10.255.255.4/32": "12345:53" }, "web back");
  });

  const ALL = { "10.255.255.1/32": "12345:443", "10.255.255.3/32": "12345:8080 65000:9", "10.255.255.4/32": "12345:53" };
  const WITHOUT_LAZY = { "10.255.255.1/32": "12345:443", "10.255.255.4/32": "12345:53" };

  it("SIGUSR2 runs every check now: an app checked hourly is withdrawn, then announced, within a second of its backend changing", async () => {
    onTestFailed(() => console.log(lab.report()));
    await routesBecome(ALL, "every route");
    await lazy.stop();
    process.kill(pid, "SIGUSR2");
    await routesBecome(WITHOUT_LAZY, "lazy withdrawn after SIGUSR2");
    expect(announcerLog().some((l) => / check_all reason=SIGUSR2 apps=3/.test(l))).toBe(true);
    await lazy.start();
    process.kill(pid, "SIGUSR2");
    await routesBecome(ALL, "lazy back after SIGUSR2");
  });

  it("POST /v1/checks does the same (202)", async () => {
    onTestFailed(() => console.log(lab.report()));
    const checkAll = async () => {
      const r = await fetch(`http://${api}/v1/checks`, { method: "POST" });
      expect(r.status).toBe(202);
      expect(await r.json()).toEqual({ checking: 3 });
    };
    await lazy.stop();
    await checkAll();
    await routesBecome(WITHOUT_LAZY, "lazy withdrawn after POST /v1/checks");
    await lazy.start();
    await checkAll();
    await routesBecome(ALL, "lazy back after POST /v1/checks");
  });
});
