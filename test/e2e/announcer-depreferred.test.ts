// What users of ExaBGP's healthcheck move over for, through a real ExaBGP 4.2
// and a GoBGP route server (its adj-in): a DOWN or DISABLED app keeping its VIP
// announced de-preferred (on_down / on_disabled), an UP app on a shared VIP
// winning over it, and the state-change hooks (execute) with their
// environment, a hook that hangs killed at its timeout without delaying checks.

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { AdjInRoute, ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, waitFor } from "../harness/index.js";
import { TcpBackend } from "../harness/backend.js";

describe("on_down, on_disabled and execute through ExaBGP and GoBGP", () => {
  const lab = new Lab("depreferred");
  const A = lab.addr(2);
  const web = new TcpBackend(lab.addr(10));
  const dns = new TcpBackend(lab.addr(11));
  const slow = new TcpBackend(lab.addr(12));
  const webDisabled = `${lab.dir}/web.disabled`;
  const hookLog = `${lab.dir}/hooks.log`;
  let rs: GoBgp;
  let exa: ExaBgp;

  const announcerLog = () => exa.log().split("\n").filter((l) => / (INFO|WARN|ERROR|DEBUG) /.test(l));
  /** GoBGP's view of one prefix: communities and MED, or "gone". */
  const seen = (r: AdjInRoute | undefined) => (r ? `${r.communities.join(" ") || "-"} med=${r.med ?? "-"}` : "gone");
  async function routeBecomes(prefix: string, want: string): Promise<void> {
    let last = "";
    await waitFor(
      async () => {
        last = seen((await rs.adjIn(A)).find((r) => r.prefix === prefix));
        return last === want;
      },
      { what: `${prefix} ${want}`, timeout: 10_000, interval: 100 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; GoBGP has ${last}`);
    });
  }
  const hookLines = () => {
    try {
      return readFileSync(hookLog, "utf8").split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    for (const b of [web, dns, slow]) await b.start();
    const hook = ["/bin/sh", "-c", `echo "$EXACAST_APP $EXACAST_PREVIOUS>$EXACAST_STATE $EXACAST_VIPS STATE=$STATE" >> ${hookLog}`];
    const config = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      config,
      [
        "next_hop: 192.0.2.2",
        "interval: 200ms",
        "fast_interval: 100ms",
        "timeout: 300ms",
        "rise: 1",
        "fall: 1",
        "communities: ['65000:7']",
        `execute: ${JSON.stringify(hook)}`,
        "apps:",
        // ExaBGP healthcheck's default: DOWN still announced with med 1000; DISABLED with 500.
        `  - name: web`,
        `    vip: 10.255.255.1/32`,
        `    ports: [443]`,
        `    on_down: { med: 1000, communities: ['65535:0'] }`,
        `    on_disabled: { med: 500 }`,
        `    checks: [{ file_absent: ${webDisabled} }, { tcp: "${web.host}:${web.port}" }]`,
        // Two apps on one VIP: the UP one wins over the other's de-preferred route.
        `  - { name: dns, vip: 10.255.255.2/32, ports: [53], on_down: { med: 1000 }, checks: [{ tcp: "${dns.host}:${dns.port}" }] }`,
        `  - { name: ntp, vip: 10.255.255.2/32, ports: [123], on_down: { med: 900 }, checks: [{ tcp: "${dns.host}:${dns.port}" }], execute: null }`,
        // A hook that hangs: killed at its timeout; the app's checks go on meanwhile.
        `  - name: slow`,
        `    vip: 10.255.255.3/32`,
        `    ports: [80]`,
        `    checks: [{ tcp: "${slow.host}:${slow.port}" }]`,
        `    execute: { command: "sleep 30", shell: true, timeout: 4s }`,
      ].join("\n") + "\n",
    );
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
  });

  afterAll(async () => {
    await lab.close();
    for (const b of [web, dns, slow]) await b.stop();
  });

  it("UP: the usual route; DOWN: kept de-preferred with med 1000 and 65535:0, without 12345:443", async () => {
    onTestFailed(() => console.log(lab.report()));
    await routeBecomes("10.255.255.1/32", "12345:443 65000:7 med=-");
    await web.stop();
    await routeBecomes("10.255.255.1/32", "65000:7 65535:0 med=1000");
    await web.start();
    await routeBecomes("10.255.255.1/32", "12345:443 65000:7 med=-");
  });

  it("DISABLED (maintenance file): kept with on_disabled's med 500", async () => {
    onTestFailed(() => console.log(lab.report()));
    writeFileSync(webDisabled, "");
    await routeBecomes("10.255.255.1/32", "65000:7 med=500");
    rmSync(webDisabled);
    await routeBecomes("10.255.255.1/32", "12345:443 65000:7 med=-");
  });

  it("a shared VIP: the UP apps' route; with every app DOWN, the least de-preferred (med 900)", async () => {
    onTestFailed(() => console.log(lab.report()));
    await routeBecomes("10.255.255.2/32", "12345:53 12345:123 65000:7 med=-");
    await dns.stop();
    await routeBecomes("10.255.255.2/32", "65000:7 med=900");
    await dns.start();
    await routeBecomes("10.255.255.2/32", "12345:53 12345:123 65000:7 med=-");
  });

  it("execute: each state change runs the hook with the app, the states and the VIPs; none for an app that turned it off", async () => {
    onTestFailed(() => console.log(lab.report()));
    const web = hookLines().filter((l) => l.startsWith("web "));
    expect(web.slice(0, 3)).toEqual([
      "web init>up 10.255.255.1/32 STATE=UP",
      "web up>down 10.255.255.1/32 STATE=DOWN",
      "web down>up 10.255.255.1/32 STATE=UP",
    ]);
    await waitFor(() => hookLines().includes("web disabled>up 10.255.255.1/32 STATE=UP"), { what: "hook after maintenance" });
    expect(hookLines()).toContain("web up>disabled 10.255.255.1/32 STATE=DISABLED");
    expect(hookLines().some((l) => l.startsWith("ntp "))).toBe(false);
    expect(hookLines().filter((l) => l.startsWith("dns ")).length).toBeGreaterThanOrEqual(3);
  });

  it("a hook that hangs is killed at its timeout, and the app's checks and routes do not wait for it", async () => {
    onTestFailed(() => console.log(lab.report()));
    await routeBecomes("10.255.255.3/32", "12345:80 65000:7 med=-");
    const timedOut = (state: string) => announcerLog().some((l) => new RegExp(` hook_failed app=slow state=${state} .*status="timed out after 4000 ms"`).test(l));
    await slow.stop();
    await routeBecomes("10.255.255.3/32", "gone");
    await slow.start();
    await routeBecomes("10.255.255.3/32", "12345:80 65000:7 med=-");
    // The DOWN hook (sleep 30) was still running when the app came back UP and was announced.
    expect(timedOut("DOWN")).toBe(false);
    await waitFor(() => timedOut("DOWN"), { what: "the DOWN hook killed at its timeout", timeout: 10_000 });
    await waitFor(() => timedOut("UP"), { what: "then the UP hook, run after it, killed too", timeout: 10_000 });
  });
});
