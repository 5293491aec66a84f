// An announcer started again by its ExaBGP 4.2 (after kill -9, or with every
// process on SIGUSR2) through GoBGP: ExaBGP keeps the routes the old process
// announced and replays nothing. An app registered over HTTP (no state file
// set) and an app removed from the config before the restart must not leave
// their VIPs announced with nothing checking them: the new process knows what
// its predecessor announced (announced_file, in $STATE_DIRECTORY here) and
// withdraws what no app claims; the HTTP app comes back (http.state_file is
// on by default) and its dead backend withdraws its VIP. An app that stays
// and is healthy keeps its route throughout.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, quietPort, waitFor } from "../harness/index.js";
import { TcpBackend } from "../harness/backend.js";

const lab = new Lab("announcer-respawn");
const A = lab.addr(2);
const CONFIG = `${lab.dir}/announcer-respawn.yaml`;
const VIP = { kept: "10.255.7.1/32", gone: "10.255.7.2/32", gone2: "10.255.7.3/32", reg: "10.255.7.4/32" } as const;
type Name = keyof typeof VIP;
const backends: Record<Name, TcpBackend> = {
  kept: new TcpBackend(lab.addr(10)),
  gone: new TcpBackend(lab.addr(11)),
  gone2: new TcpBackend(lab.addr(12)),
  reg: new TcpBackend(lab.addr(13)),
};
let rs: GoBgp;
let exa: ExaBgp;
let api = "";
let port = 0;

function writeConfig(apps: Name[]): void {
  const lines = ["next_hop: 192.0.2.2", "interval: 500ms", "fast_interval: 100ms", "rise: 2", "fall: 2", `http: { listen: "${A}:${port}" }`, "apps:"];
  for (const n of apps) lines.push(`  - { name: ${n}, vip: ${VIP[n]}, ports: [443], checks: [{ tcp: "${backends[n].host}:${backends[n].port}" }] }`);
  writeFileSync(CONFIG, lines.join("\n") + "\n");
}

/** The running announcer's pid (not `not`), from /proc: ExaBGP runs it. */
function announcerPid(not?: number): number | undefined {
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (cmd.includes("exacast-announcer") && cmd.includes(CONFIG) && Number(p) !== not) return Number(p);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

const announced = async () => new Set((await rs.adjIn(A)).map((r) => r.prefix));
/** Wait until GoBGP's adj-in holds exactly `names`' VIPs; the ms it took from `t0`. */
async function adjInIs(names: Name[], t0 = performance.now(), timeout = 10_000): Promise<number> {
  const want = names.map((n) => VIP[n]).sort().join(" ");
  let last = "";
  try {
    await waitFor(
      async () => {
        last = [...(await announced())].sort().join(" ");
        return last === want;
      },
      { what: `adj-in ${want}`, timeout, interval: 20 },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last adj-in: ${last}`);
  }
  return Math.round(performance.now() - t0);
}

/** Watch that a VIP never leaves adj-in while `during` runs. */
async function neverWithdrawn<T>(vip: string, during: () => Promise<T>): Promise<T> {
  let gaps = 0;
  let stop = false;
  const watch = (async () => {
    while (!stop) {
      if (!(await announced()).has(vip)) gaps++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return await during();
  } finally {
    stop = true;
    await watch;
    expect(gaps, `${vip} left GoBGP's adj-in`).toBe(0);
  }
}

const httpApps = async () => ((await (await fetch(`${api}/v1/apps`)).json()) as { apps: { name: string; source: string }[] }).apps;

beforeAll(async () => {
  for (const b of Object.values(backends)) await b.start();
  port = await quietPort([A]);
  api = `http://${A}:${port}`;
  writeConfig(["kept", "gone", "gone2"]);
  rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
  exa = lab.exabgp({
    name: "a",
    address: A,
    asn: 65000,
    neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
    processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", CONFIG], encoder: "text" }],
  });
  await rs.waitEstablished(A, 30_000);
  await waitFor(async () => (await fetch(`${api}/v1/apps`).catch(() => null))?.ok, { what: "HTTP API up", timeout: 10_000 });
  const put = await fetch(`${api}/v1/apps/reg`, {
    method: "PUT",
    body: JSON.stringify({ vip: VIP.reg, ports: [443], checks: [{ tcp: `${backends.reg.host}:${backends.reg.port}` }] }),
  });
  expect(put.status).toBe(201);
  await adjInIs(["kept", "gone", "gone2", "reg"]);
}, 60_000);

afterAll(async () => {
  await lab.close();
  for (const b of Object.values(backends)) await b.stop();
});

describe("a restarted announcer leaves no route that nothing checks", () => {
  it("kill -9: an HTTP app's VIP (its backend dead) and a VIP removed from the config are withdrawn; the HTTP app is back", { timeout: 30_000 }, async () => {
    onTestFailed(() => console.log(lab.report(40)));
    const pid = announcerPid()!;
    expect(pid).toBeGreaterThan(0);
    writeConfig(["kept", "gone2"]);
    await backends.reg.stop();
    const t0 = performance.now();
    const ms = await neverWithdrawn(VIP.kept, async () => {
      process.kill(pid, "SIGKILL");
      await waitFor(() => announcerPid(pid), { what: "ExaBGP started the announcer again", timeout: 10_000 });
      return adjInIs(["kept", "gone2"], t0);
    });
    console.log(`kill -9: orphaned VIPs left GoBGP ${ms} ms after the kill`);
    // The HTTP app survived the restart (http.state_file on by default) and is checked.
    await waitFor(async () => (await httpApps().catch(() => [])).some((a) => a.name === "reg" && a.source === "http"), { what: "reg registered again" });
    expect(exa.log()).toMatch(/ announced_inherited .*vips=4/);
    expect(exa.log().match(/ state_file_loaded .*apps=1/g)?.length).toBe(1);
  });

  it("SIGUSR2 to ExaBGP (processes restarted): the same", { timeout: 30_000 }, async () => {
    onTestFailed(() => console.log(lab.report(40)));
    await backends.reg.start();
    await adjInIs(["kept", "gone2", "reg"]);
    const pid = announcerPid()!;
    writeConfig(["kept"]);
    await backends.reg.stop();
    const t0 = performance.now();
    const ms = await neverWithdrawn(VIP.kept, async () => {
      process.kill(exa.process!.pid, "SIGUSR2");
      await waitFor(() => announcerPid(pid), { what: "ExaBGP started the announcer again", timeout: 10_000 });
      return adjInIs(["kept"], t0);
    });
    console.log(`SIGUSR2: orphaned VIPs left GoBGP ${ms} ms after the signal`);
    // The old process holds the API port for 5 s more (it waits for acks ExaBGP no longer reads): its log says the new one restored reg.
    expect(exa.log().match(/ state_file_loaded .*apps=1/g)?.length).toBe(2);
  });
});
