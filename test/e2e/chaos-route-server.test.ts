// Chaos through real daemons: two announcing hosts (ExaBGP + exacast-announcer,
// real TCP backends) and one listener host (ExaBGP running two listeners, one
// with stale_grace) behind a GoBGP route server.
// 1. Route-server restarts shorter than stale_grace, stopped (GoBGP withdraws
//    each peer's routes before its Cease) or crashed, never remove a backend
//    from the grace listener's file (every install and a 10 ms watch).
// 2. The route server is stopped and started 20 times at seeded random
//    moments, backends flap while the sessions are down, one announcing ExaBGP
//    is killed and started again (with its announcer); at the end both files
//    hold exactly the services of the healthy backends (no stale backend,
//    none lost), as does GoBGP's adj-in.
// 3. An announcer killed alone, started again by its ExaBGP: a VIP whose
//    backend died meanwhile must not be left behind (this found a bug: the
//    new announcer never gave a verdict on a VIP it had not announced).
//
// Replay a failure with EXACAST_CHAOS_SEED=<the seed printed>; EXACAST_CHAOS_RESTARTS
// sets the number of restarts.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { bin, Lab, sleep, waitFor } from "../harness/index.js";
import { seeded } from "../fuzz/mutate.js";
import { TcpBackend } from "../harness/backend.js";

const SEED = Number(process.env.EXACAST_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RESTARTS = Number(process.env.EXACAST_CHAOS_RESTARTS ?? 20);
const GRACE_RESTARTS = 3;
// ExaBGP 4.2 waits longer before each reconnection (1, 2, 3, 4, 5, 7, 9… up
// to 60 s; a session coming up does not reset it), so what a route-server
// restart costs grows with the restarts before it: the stale_grace phase runs
// first, on fresh sessions. In production, choose stale_grace above 60 s.
const STALE_GRACE_S = 15;
const rand = seeded(SEED);
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo));

const lab = new Lab("chaos");
const schedule: string[] = [];
const note = (what: string) => schedule.push(`${new Date().toISOString().slice(11, 23)} ${what}`);
const replay = () => `chaos seed ${SEED} (replay: EXACAST_CHAOS_SEED=${SEED})\n${schedule.join("\n")}`;

interface App {
  host: "a" | "b";
  name: string;
  vip: string;
  port: number;
  backend: TcpBackend;
}

const A = lab.addr(2);
const B = lab.addr(3);
const C = lab.addr(4);
let n = 10;
const app = (host: "a" | "b", name: string, vip: string, port: number): App => ({ host, name, vip, port, backend: new TcpBackend(lab.addr(n++)) });
const APPS: App[] = [
  app("a", "web", "10.255.1.1/32", 443),
  app("a", "api", "10.255.1.2/32", 8443),
  app("a", "v6", "2001:db8:1::1/128", 80),
  app("b", "web", "10.255.2.1/32", 443),
  app("b", "api", "10.255.2.2/32", 8443),
  app("b", "v6", "2001:db8:2::1/128", 80),
];

/** What the listeners' template renders for the apps whose backends are up. */
function expected(): string {
  const byPort = new Map<number, string[]>();
  for (const x of APPS) if (x.backend.up) byPort.set(x.port, [...(byPort.get(x.port) ?? []), x.vip]);
  const order = (p: string) => (p.includes(":") ? `6${p}` : `4${p.split(/[./]/).map((o) => o.padStart(3, "0")).join(".")}`);
  return [...byPort.keys()]
    .sort((x, y) => x - y)
    .map((p) => `${p}: ${byPort.get(p)!.sort((x, y) => (order(x) < order(y) ? -1 : 1)).join(" ")}\n`)
    .join("");
}

const read = (f: string) => {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return undefined;
  }
};
const strictOut = `${lab.dir}/strict.txt`;
const graceOut = `${lab.dir}/grace.txt`;
const graceHistory = `${lab.dir}/grace-history.log`;
const strictHistory = `${lab.dir}/strict-history.log`;
const versions = (f: string) => (read(f) ?? "").split("----\n").slice(0, -1);

let rs: GoBgp;
const exa: Record<"a" | "b" | "c", ExaBgp> = {} as Record<"a" | "b" | "c", ExaBgp>;
const counts = { restarts: 0, flaps: 0, exabgpKills: 0, graceRestarts: 0, graceSamples: 0 };

function announcerConfig(host: "a" | "b", nextHop: string): string {
  const file = `${lab.dir}/announcer-${host}.yaml`;
  writeFileSync(
    file,
    [
      `next_hop: [${nextHop}, 2001:db8::2]`,
      "interval: 200ms",
      "fast_interval: 100ms",
      "timeout: 300ms",
      "rise: 2",
      "fall: 2",
      "apps:",
      ...APPS.filter((x) => x.host === host).map(
        (x) => `  - { name: ${x.name}, vip: "${x.vip}", ports: [${x.port}], checks: [{ tcp: "${x.backend.host}:${x.backend.port}" }] }`,
      ),
    ].join("\n") + "\n",
  );
  return file;
}

function listenerConfig(name: string, out: string, history: string, graceS: number): string {
  const file = `${lab.dir}/${name}.yaml`;
  writeFileSync(`${lab.dir}/services.ejs`, "<% for (const p of ports) { %><%= p %>: <%= services[p].join(' ') %>\n<% } %>");
  writeFileSync(
    file,
    [
      "debounce: 50ms",
      "max_wait: 500ms",
      `stale_grace: ${graceS}s`,
      "templates:",
      `  - source: ${lab.dir}/services.ejs`,
      `    destination: ${out}`,
      // Every installed version, in order: renders a poll could miss are seen.
      `    reload: cat "$EXACAST_DESTINATION" >> ${history}; echo ---- >> ${history}`,
    ].join("\n") + "\n",
  );
  return file;
}

function startAnnouncing(host: "a" | "b"): ExaBgp {
  const address = host === "a" ? A : B;
  return lab.exabgp({
    name: host,
    address,
    asn: host === "a" ? 65000 : 65001,
    neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
    processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", announcerConfig(host, host === "a" ? "192.0.2.2" : "192.0.2.3")], encoder: "text" }],
  });
}

async function allEstablished(timeout = 30_000): Promise<void> {
  await Promise.all([rs.waitEstablished(A, timeout), rs.waitEstablished(B, timeout), rs.waitEstablished(C, timeout)]);
}

/** GoBGP's adj-in of `host` is exactly its healthy apps' VIPs, each with its port. */
async function adjInSettled(host: "a" | "b"): Promise<boolean> {
  const want = APPS.filter((x) => x.host === host && x.backend.up)
    .map((x) => `${x.vip} 12345:${x.port}`)
    .sort();
  const got = (await rs.adjIn(host === "a" ? A : B)).map((r) => `${r.prefix} ${r.communities.join(" ")}`).sort();
  return JSON.stringify(got) === JSON.stringify(want);
}

/** The pid of the announcer ExaBGP `host` runs (another than `not`), from /proc. */
function announcerPid(host: "a" | "b", not?: number): number {
  const mark = `announcer-${host}.yaml`;
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (cmd.includes("exacast-announcer") && cmd.includes(mark) && Number(p) !== not) return Number(p);
    } catch {
      /* gone */
    }
  }
  return 0;
}

async function flap(x: App): Promise<void> {
  if (x.backend.up) await x.backend.stop();
  else await x.backend.start();
  counts.flaps++;
  note(`flap ${x.host}/${x.name} → ${x.backend.up ? "up" : "down"}`);
}

describe("chaos: route-server restarts, backend flaps, a killed ExaBGP", () => {
  beforeAll(async () => {
    console.log(`chaos seed ${SEED} (replay: EXACAST_CHAOS_SEED=${SEED})`);
    for (const x of APPS) await x.backend.start();
    rs = await lab.gobgp({
      neighbors: [
        { address: A, peerAs: 65000 },
        { address: B, peerAs: 65001 },
        { address: C, peerAs: 65002 },
      ],
    });
    exa.c = lab.exabgp({
      name: "c",
      address: C,
      asn: 65002,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [
        { name: "strict", run: [...bin("exacast-listener"), "--config", listenerConfig("strict", strictOut, strictHistory, 0)], encoder: "json" },
        { name: "grace", run: [...bin("exacast-listener"), "--config", listenerConfig("grace", graceOut, graceHistory, STALE_GRACE_S)], encoder: "json" },
      ],
    });
    exa.a = startAnnouncing("a");
    exa.b = startAnnouncing("b");
    await allEstablished();
  });

  afterAll(async () => {
    await lab.close();
    for (const x of APPS) await x.backend.stop();
  });

  it(`route-server restarts shorter than stale_grace (${STALE_GRACE_S}s) never remove a backend from the grace listener's file`, { timeout: 120_000 }, async () => {
    onTestFailed(() => console.log(`${replay()}\n${lab.report(30)}`));
    const want = expected();
    await waitFor(() => read(graceOut) === want && read(strictOut) === want, { what: "both files settled", timeout: 30_000 });
    const graceBefore = versions(graceHistory).length;
    const strictBefore = versions(strictHistory).length;
    // Watch the file all along, beside the history of every install.
    let watching = true;
    const seen = new Set<string>();
    const watcher = (async () => {
      while (watching) {
        seen.add(read(graceOut) ?? "(missing)");
        counts.graceSamples++;
        await sleep(10);
      }
    })();
    for (let k = 1; k <= GRACE_RESTARTS; k++) {
      const t0 = Date.now();
      // Stopped (GoBGP withdraws its peers' routes one peer at a time, then sends
      // Cease), or crashed (the sessions just close).
      const crash = k % 2 === 0;
      note(`grace restart ${k}: ${crash ? "SIGKILL" : "SIGTERM"}`);
      await rs.process!.stop(crash ? "SIGKILL" : "SIGTERM");
      await sleep(between(100, 1000));
      await rs.restart();
      await allEstablished();
      await waitFor(async () => (await adjInSettled("a")) && (await adjInSettled("b")), { what: "adj-in back" });
      await waitFor(() => read(strictOut) === want, { what: "strict listener back to the full set", timeout: 20_000 });
      counts.graceRestarts++;
      note(`grace restart ${k}: ${Date.now() - t0} ms from stop to the full set again`);
      expect(Date.now() - t0).toBeLessThan(STALE_GRACE_S * 1000);
    }
    watching = false;
    await watcher;
    expect([...seen]).toEqual([want]);
    expect(versions(graceHistory).slice(graceBefore).filter((v) => v !== want)).toEqual([]);
    // The restarts were real: the strict listener lost the routes each time.
    expect(versions(strictHistory).slice(strictBefore).filter((v) => v === "").length).toBeGreaterThanOrEqual(GRACE_RESTARTS);
    console.log(`stale_grace: ${counts.graceRestarts} restarts, ${counts.graceSamples} samples of the grace file, all ${JSON.stringify(want)}\n${schedule.slice(-GRACE_RESTARTS).join("\n")}`);
  });
  it(`${RESTARTS} route-server restarts at random moments: the files end with exactly the healthy backends`, { timeout: 240_000 }, async () => {
    onTestFailed(() => console.log(`${replay()}\n${lab.report(30)}`));
    await waitFor(() => read(strictOut) === expected() && read(graceOut) === expected(), { what: "first full render", timeout: 30_000 });
    const killAt = between(3, Math.max(4, RESTARTS - 3));
    for (let k = 1; k <= RESTARTS; k++) {
      await sleep(between(0, 2500)); // a random moment: sessions may be up, coming up, or still down
      note(`restart ${k}: stop`);
      await rs.stop();
      // While every session is down, backends change.
      const last = k === RESTARTS;
      if (!last) {
        for (const x of APPS) if (rand() < 0.25) await flap(x);
      } else {
        // The end state: most backends up, at least one down, on both hosts.
        for (const x of APPS) if (x.backend.up !== rand() < 0.7) await flap(x);
        for (const x of [APPS[0]!, APPS[3]!]) if (!x.backend.up) await flap(x);
        if (APPS.every((x) => x.backend.up)) await flap(APPS[between(0, APPS.length)]!);
      }
      if (k === killAt) {
        // A crash: ExaBGP and its announcer killed at once; a backend changes meanwhile; it comes back.
        note("kill ExaBGP a");
        await exa.a.kill();
        counts.exabgpKills++;
        await flap(APPS.filter((x) => x.host === "a")[between(0, 3)]!);
      }
      await sleep(between(0, 1500));
      await rs.restart();
      counts.restarts++;
      note(`restart ${k}: started`);
      if (k === killAt) {
        exa.a.start();
        note("ExaBGP a started again");
      }
    }
    const want = expected();
    note(`expect ${JSON.stringify(want)}`);
    await allEstablished(60_000);
    await waitFor(async () => (await adjInSettled("a")) && (await adjInSettled("b")), { what: "route server adj-in settled", timeout: 30_000 });
    await waitFor(() => read(strictOut) === want, { what: `strict listener's file = ${JSON.stringify(want)}`, timeout: 30_000 });
    // The grace listener may hold routes the last restart lost until its stale_grace ends.
    await waitFor(() => read(graceOut) === want, { what: `grace listener's file = ${JSON.stringify(want)}`, timeout: (STALE_GRACE_S + 15) * 1000 });
    expect(versions(strictHistory).at(-1)).toBe(want);
    for (const e of Object.values(exa)) expect(e.log()).not.toMatch(/Too many death/);
    // The listeners never died: each started once.
    expect(exa.c.log().match(/INFO {2}start /g)).toHaveLength(2);
    console.log(
      `chaos (seed ${SEED}): ${counts.restarts} route-server restarts, ${counts.flaps} backend flaps, ${counts.exabgpKills} ExaBGP kill; ` +
        `${versions(strictHistory).length} strict and ${versions(graceHistory).length} grace installs; final ${JSON.stringify(want)}`,
    );
  });


  // ExaBGP keeps the routes a process announced after that process dies, and
  // answers `done` to a withdrawal of a route it does not hold. The announcer
  // it starts again must withdraw a VIP whose apps are DOWN from its first
  // checks, though it never announced it (its first verdict).
  it("an announcer killed alone is started again by its ExaBGP; a backend that died meanwhile is not left behind", { timeout: 90_000 }, async () => {
    onTestFailed(() => console.log(`${replay()}\n${lab.report(30)}`));
    const settled = expected();
    await allEstablished(60_000);
    await waitFor(() => read(strictOut) === settled, { what: "settled", timeout: 30_000 });
    const web = APPS.find((x) => x.host === "b" && x.name === "web")!;
    if (!web.backend.up) {
      await web.backend.start();
      await waitFor(() => read(strictOut) === expected(), { what: "b/web back", timeout: 30_000 });
    }
    const pid = announcerPid("b");
    note(`kill announcer b (pid ${pid}) and b/web's backend`);
    process.kill(pid, "SIGKILL");
    await web.backend.stop();
    await waitFor(() => announcerPid("b", pid), { what: "ExaBGP b started its announcer again", timeout: 30_000 });
    const want = expected();
    await waitFor(() => read(strictOut) === want, { what: `strict file without b/web: ${JSON.stringify(want)}`, timeout: 10_000 });
    await waitFor(async () => adjInSettled("b"), { what: "route server without b/web", timeout: 10_000 });
  });
});
