// exacast-announcer run by a real ExaBGP 4.2, announcing through a GoBGP route
// server; what it announced is read from GoBGP's adj-in. Backends are real
// TCP and HTTP servers on the lab's loopback addresses.

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, helper, waitFor } from "../harness/index.js";

/** A TCP backend that can be stopped and started again on the same address and port. */
class Backend {
  private server: Server | null = null;
  port = 0;
  constructor(readonly host: string) {}
  async start(): Promise<void> {
    const s = createServer((c) => c.destroy());
    await new Promise<void>((resolve) => s.listen(this.port, this.host, resolve));
    this.port = (s.address() as AddressInfo).port;
    this.server = s;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise((r) => s.close(r));
  }
}

describe("announcer through ExaBGP and GoBGP", () => {
  const lab = new Lab("announcer");
  const A = lab.addr(2);
  const web = new Backend(lab.addr(10));
  const api = new Backend(lab.addr(11));
  const health = createHttpServer((_req, res) => res.end("ok"));
  const drainFile = `${lab.dir}/drain`;
  const jobDisabled = `${lab.dir}/job.disabled`;
  const witness = `${lab.dir}/announcer-exit.json`;
  let rs: GoBgp;
  let exa: ExaBgp;

  /** GoBGP's view: prefix → communities, exactly these routes. */
  async function routesBecome(want: Record<string, string>, what: string): Promise<void> {
    let last = "";
    await waitFor(
      async () => {
        const got = Object.fromEntries((await rs.adjIn(A)).map((r) => [r.prefix, r.communities.join(" ")]));
        last = JSON.stringify(got);
        return last === JSON.stringify(Object.fromEntries(Object.entries(want).sort(([a], [b]) => a.localeCompare(b))));
      },
      { what: `${what}; last adj-in ${last}`, timeout: 10_000, interval: 100 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last adj-in ${last}`);
    });
  }

  const announcerLog = () => exa.log().split("\n").filter((l) => l.includes("exacast-announcer") || / (INFO|WARN|ERROR|DEBUG) /.test(l));

  beforeAll(async () => {
    await web.start();
    await api.start();
    await api.stop(); // api's port is known but nothing listens: its app starts DOWN
    await new Promise<void>((r) => health.listen(0, lab.addr(12), r));
    const healthUrl = `http://${lab.addr(12)}:${(health.address() as AddressInfo).port}/health`;
    const config = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      config,
      [
        "next_hop: [192.0.2.2, 2001:db8::2]",
        "interval: 200ms",
        "fast_interval: 100ms",
        "timeout: 300ms",
        "rise: 2",
        "fall: 2",
        `drain_file: ${drainFile}`,
        "apps:",
        `  - { name: web, vip: 10.255.255.1/32, ports: [443], checks: [{ tcp: "${web.host}:${web.port}" }] }`,
        `  - { name: api, vip: 10.255.255.1/32, ports: [8443], checks: [{ tcp: "${api.host}:${api.port}" }] }`,
        `  - { name: v6, vip: "2001:db8::1/128", ports: [80], checks: [{ http: { url: "${healthUrl}", contains: ok } }] }`,
        `  - name: job`,
        `    vip: 10.255.255.2/32`,
        `    ports: [9000]`,
        `    checks: [{ file_absent: ${jobDisabled} }, { exec: [/bin/sh, -c, "test \\"$EXACAST_APP\\" = job"] }]`,
      ].join("\n") + "\n",
    );
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
    exa = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      // No adj-rib-out: after a reconnect only the announcer's resend brings the routes back.
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port, adjRibOut: false }],
      processes: [{ name: "announcer", run: [...helper("exit-witness.mjs"), witness, ...bin("exacast-announcer"), "--config", config], encoder: "text" }],
    });
    await rs.waitEstablished(A).catch((e) => {
      console.log(lab.report());
      throw e;
    });
  });

  afterAll(async () => {
    await lab.close();
    await web.stop();
    await api.stop();
    await new Promise((r) => health.close(r));
  });

  it("healthy apps' VIPs arrive with 12345:<port> (tcp, http over IPv6, exec)", async () => {
    onTestFailed(() => console.log(lab.report()));
    await routesBecome(
      { "10.255.255.1/32": "12345:443", "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" },
      "three VIPs announced",
    );
    const v6 = (await rs.adjIn(A)).find((r) => r.prefix === "2001:db8::1/128");
    expect(v6?.nexthop).toBe("2001:db8::2");
  });

  it("a second app on the VIP adds its port while UP and removes it when DOWN", async () => {
    onTestFailed(() => console.log(lab.report()));
    await api.start();
    await routesBecome({ "10.255.255.1/32": "12345:443 12345:8443", "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" }, "8443 added");
    await api.stop();
    await routesBecome({ "10.255.255.1/32": "12345:443", "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" }, "8443 removed");
  });

  it("drain file: 65535:0 on every VIP while it exists", async () => {
    onTestFailed(() => console.log(lab.report()));
    writeFileSync(drainFile, "");
    await routesBecome(
      { "10.255.255.1/32": "12345:443 65535:0", "10.255.255.2/32": "12345:9000 65535:0", "2001:db8::1/128": "12345:80 65535:0" },
      "draining",
    );
    rmSync(drainFile);
    await routesBecome({ "10.255.255.1/32": "12345:443", "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" }, "drain over");
  });

  it("a maintenance file withdraws that app's VIP only, and its removal brings it back", async () => {
    onTestFailed(() => console.log(lab.report()));
    writeFileSync(jobDisabled, "");
    await routesBecome({ "10.255.255.1/32": "12345:443", "2001:db8::1/128": "12345:80" }, "job in maintenance");
    rmSync(jobDisabled);
    await routesBecome({ "10.255.255.1/32": "12345:443", "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" }, "job back");
    expect(announcerLog().some((l) => /app_state app=job from=\w+ to=DISABLED/.test(l))).toBe(true);
  });

  it("backend stopped: the VIP is withdrawn after `fall` failed checks", async () => {
    onTestFailed(() => console.log(lab.report()));
    const mark = announcerLog().length;
    await web.stop();
    await routesBecome({ "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" }, "10.255.255.1/32 withdrawn");
    const after = announcerLog().slice(mark).filter((l) => /app=web|vip=10\.255\.255\.1\/32/.test(l));
    const i = after.findIndex((l) => / withdraw /.test(l));
    expect(after.slice(0, i).map((l) => / to=(\w+)(?: count=(\S+))?/.exec(l)?.slice(1).filter(Boolean).join(" "))).toEqual(["FALLING 1/2", "DOWN"]);
    await web.start();
    await routesBecome({ "10.255.255.1/32": "12345:443", "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" }, "web back");
  });

  it("the route server restarts: the announced set is sent again when the neighbor comes up (ExaBGP's adj-rib-out off)", async () => {
    onTestFailed(() => console.log(lab.report()));
    const resends = () => announcerLog().filter((l) => / resend /.test(l)).length;
    const before = resends();
    await rs.restart();
    await rs.waitEstablished(A);
    await routesBecome({ "10.255.255.1/32": "12345:443", "10.255.255.2/32": "12345:9000", "2001:db8::1/128": "12345:80" }, "routes back");
    await waitFor(() => resends() > before, { what: "resend logged" });
  });

  it("SIGTERM to ExaBGP: routes withdrawn, the announcer writes its withdrawals and exits 0", async () => {
    onTestFailed(() => console.log(lab.report()));
    const exit = await exa.stop("SIGTERM");
    expect(exit?.code).toBe(0);
    await routesBecome({}, "every route gone");
    await waitFor(() => existsSync(witness), { what: "announcer exit recorded" });
    expect(JSON.parse(readFileSync(witness, "utf8"))).toEqual({ code: 0, signal: null });
    const log = announcerLog();
    expect(log.some((l) => / shutdown reason=exabgp /.test(l))).toBe(true);
    expect(log.filter((l) => / withdraw vip=/.test(l)).length).toBeGreaterThanOrEqual(3);
    expect(log.some((l) => / exit code=0 withdrawn=3/.test(l))).toBe(true);
  });
});
