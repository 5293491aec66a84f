// A listener ExaBGP starts again, through real ExaBGP 4.2 and a GoBGP route
// server: killed (-9) and respawned, or restarted with the other processes
// by SIGUSR2. ExaBGP replays nothing to the new process; it must not render
// a partial table. It starts from its snapshot and asks the route server to
// send its routes again (route refresh); the first change after the restart
// keeps every live backend. A listener whose ExaBGP cannot ask (no
// route-refresh capability) says so and keeps its file. A restart while the
// old process still holds the HTTP port retries the bind. max_routes refuses
// routes over the limit and gets them again once there is room.

import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { Commander, ExaBgp, GoBgp } from "../harness/index.js";
import { bin, freePort, Lab, waitFor } from "../harness/index.js";

const lab = new Lab("listener-restart");
const A = lab.addr(2); // announces, driven by the test
const B = lab.addr(3); // two listeners, route refresh on
const C = lab.addr(4); // a listener whose ExaBGP has no route refresh
const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : undefined);
const installs = (dir: string) => (read(`${dir}/history`) ?? "").split("----\n").slice(0, -1);
const file = (n: Iterable<number>) => `443: ${[...n].sort((x, y) => x - y).map((i) => `10.1.0.${i}/32`).join(" ")}\n`;
/** The backends announced now: each test starts from whatever the ones before it left. */
const live = new Set<number>();
let next = 1;
async function announce(n = 1): Promise<number[]> {
  const added = Array.from({ length: n }, () => next++);
  expect(await cmd.command(...added.map((i) => `announce route 10.1.0.${i}/32 next-hop 192.0.2.2 community [12345:443]`))).toEqual(added.map(() => "done"));
  for (const i of added) live.add(i);
  return added;
}
async function withdraw(i: number): Promise<void> {
  expect(await cmd.command(`withdraw route 10.1.0.${i}/32 next-hop 192.0.2.2`)).toEqual(["done"]);
  live.delete(i);
}
/** Installs since `from` that miss one of `kept`. */
const missing = (dir: string, from: number, kept: number[]) => installs(dir).slice(from).filter((v) => !kept.every((i) => v.includes(`10.1.0.${i}/32`)));

interface Status {
  pid: number;
  routes: number;
  services: Record<string, string[]>;
  table: { complete: boolean; held_back: boolean; blind: { neighbor: string }[] };
}

let rs: GoBgp;
let cmd: Commander;
let b: ExaBgp;
let c: ExaBgp;
const ports: Record<string, number> = {};

function listener(name: string, host: string, extra: string[] = []): { run: string[]; dir: string } {
  const dir = `${lab.dir}/${name}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}.yaml`,
    [
      "debounce: 50ms",
      "max_wait: 500ms",
      `state_file: ${dir}/services.json`,
      `http: { listen: "${host}:${ports[name]}" }`,
      ...extra,
      "templates:",
      `  - name: ${name}`,
      `    source: ${lab.dir}/services.ejs`,
      `    destination: ${dir}/out.txt`,
      // Every install in order; with `slow` present the reload takes 3 s (holding the old process).
      `    reload: 'test -e ${dir}/slow && { touch ${dir}/reloading; sleep 3; }; cat "$EXACAST_DESTINATION" >> ${dir}/history; echo ---- >> ${dir}/history'`,
    ].join("\n") + "\n",
  );
  return { run: [...bin("exacast-listener"), "--config", `${dir}.yaml`, "--log-format", "json"], dir };
}

async function status(host: string, name: string): Promise<Status> {
  return (await (await fetch(`http://${host}:${ports[name]}/status`)).json()) as Status;
}

/** JSON log lines of the listeners an ExaBGP ran (they log to its stderr). */
function logs(e: ExaBgp): { event: string; level: string; [k: string]: unknown }[] {
  const out: { event: string; level: string; [k: string]: unknown }[] = [];
  for (const l of e.log().split("\n")) {
    const at = l.indexOf('{"time"');
    if (at === -1) continue;
    try {
      out.push(JSON.parse(l.slice(at)));
    } catch {
      /* a line cut by another writer of ExaBGP's stderr */
    }
  }
  return out;
}

/** The pid /status answers with, once it is another than `old`. */
async function respawned(host: string, name: string, old: number): Promise<number> {
  return waitFor(async () => {
    const s = await status(host, name);
    return s.pid !== old && s.pid;
  }, { what: `${name} started again`, timeout: 20_000 });
}

const MAIN = `${lab.dir}/main`;
const CAPPED = `${lab.dir}/capped`;
const BLIND = `${lab.dir}/blind`;

describe("a listener started again by ExaBGP", () => {
  beforeAll(async () => {
    for (const n of ["main", "capped", "blind"]) ports[n] = await freePort(n === "blind" ? C : B);
    writeFileSync(`${lab.dir}/services.ejs`, "<% for (const p of ports) { %><%= p %>: <%= services[p].join(' ') %>\n<% } %>");
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }, { address: C, peerAs: 65002 }] });
    cmd = await lab.commander("announcer");
    lab.exabgp({ name: "a", address: A, asn: 65000, neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }], processes: [{ name: "cmd", run: cmd.run, encoder: "text" }] });
    const rr = { negotiated: true, receiveRefresh: true, encoder: "json" as const };
    b = lab.exabgp({
      name: "b",
      address: B,
      asn: 65001,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port, routeRefresh: true }],
      processes: [
        { name: "main", run: listener("main", B).run, ...rr },
        { name: "capped", run: listener("capped", B, ["max_routes: 4"]).run, ...rr },
      ],
    });
    c = lab.exabgp({
      name: "c",
      address: C,
      asn: 65002,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "blind", run: listener("blind", C).run, ...rr }],
    });
    await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B), rs.waitEstablished(C)]);
    await cmd.connected();
    await announce(3);
    for (const d of [MAIN, CAPPED, BLIND]) await waitFor(() => read(`${d}/out.txt`) === file(live), { what: `${d} has the 3 backends`, timeout: 20_000 });
  });

  afterAll(() => lab.close());

  it("kill -9: the new listener re-learns the table (snapshot + route refresh) before it renders; the next flap keeps every live backend", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    const before = installs(MAIN).length;
    const old = (await status(B, "main")).pid;
    process.kill(old, "SIGKILL");
    const pid = await respawned(B, "main", old);
    // The flap right after the restart: one backend goes, another comes.
    const [gone, ...kept] = [...live];
    await withdraw(gone!);
    await announce();
    await waitFor(() => read(`${MAIN}/out.txt`) === file(live), { what: `main = ${[...live]}`, timeout: 15_000 });
    expect(missing(MAIN, before, kept)).toEqual([]);
    const s = await status(B, "main");
    expect([s.pid, s.routes, s.table.complete]).toEqual([pid, live.size, true]);
    // It asked through ExaBGP, which sent GoBGP a ROUTE-REFRESH.
    expect(logs(b).some((l) => l.event === "refresh_asked")).toBe(true);
    expect(b.log()).toMatch(/Sent to neighbor .* route refresh ipv4/);
  });

  it("max_routes: a route over the limit is asked for again (route refresh) once a withdrawal makes room", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    // capped holds at most 4: with 5 announced, the last is refused.
    const [refused] = (await announce(5 - live.size)).slice(-1);
    await waitFor(() => logs(b).some((l) => l.event === "max_routes_reached" && l.prefix === `10.1.0.${refused}/32`), { what: `max_routes_reached for .${refused}` });
    await waitFor(() => read(`${CAPPED}/out.txt`) === file([...live].filter((i) => i !== refused)), { what: "capped holds 4" });
    const over = await (await fetch(`http://${B}:${ports.capped}/metrics`)).text();
    await withdraw([...live][0]!);
    await waitFor(() => read(`${CAPPED}/out.txt`) === file(live), { what: `capped got .${refused} once there was room`, timeout: 15_000 });
    expect(logs(b).find((l) => l.event === "max_routes_reached")).toMatchObject({ level: "error", max_routes: 4 });
    expect(over).toContain("exacast_listener_max_routes_reached 1");
    expect(logs(b).some((l) => l.event === "max_routes_room")).toBe(true);
    await waitFor(async () => (await (await fetch(`http://${B}:${ports.capped}/metrics`)).text()).includes("exacast_listener_max_routes_reached 0"), { what: "metric back to 0" });
  });

  it("an ExaBGP without route refresh: the restarted listener says it cannot re-learn and keeps its file as it is", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    await waitFor(() => read(`${BLIND}/out.txt`) === file(live), { what: "blind settled" });
    const kept = read(`${BLIND}/out.txt`);
    const old = (await status(C, "blind")).pid;
    process.kill(old, "SIGKILL");
    await respawned(C, "blind", old);
    const [added] = await announce();
    // The change reached it, and a render was due: it was held back.
    const s = await waitFor(async () => {
      const x = await status(C, "blind");
      return x.services[443]?.includes(`10.1.0.${added}/32`) && x.table?.held_back && x.table;
    }, { what: "the change held back" });
    expect(s).toMatchObject({ complete: false, blind: [{ neighbor: rs.address }] });
    expect(logs(c).filter((l) => l.event === "table_incomplete")).toEqual([expect.objectContaining({ level: "error", neighbor: rs.address })]);
    await waitFor(() => read(`${MAIN}/out.txt`) === file(live), { what: "main got it meanwhile" });
    expect(read(`${BLIND}/out.txt`)).toBe(kept);
  });

  it("SIGUSR2 to ExaBGP (processes restarted): the new listener starts from the last snapshot of the old; no install misses a live backend", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    await waitFor(() => read(`${MAIN}/out.txt`) === file(live), { what: "main settled" });
    const before = installs(MAIN).length;
    const old = (await status(B, "main")).pid;
    b.signalExabgp("SIGUSR2");
    await respawned(B, "main", old);
    const [gone, ...kept] = [...live];
    await withdraw(gone!);
    await announce();
    await waitFor(() => read(`${MAIN}/out.txt`) === file(live), { what: `main = ${[...live]}`, timeout: 15_000 });
    expect(missing(MAIN, before, kept)).toEqual([]);
    expect(logs(b).filter((l) => l.event === "snapshot_loaded").at(-1)).toMatchObject({ final: true });
    expect(b.log()).not.toMatch(/Too many death/);
  });

  it("restarted while the old listener still holds the HTTP port (finishing a slow reload): the new one retries the bind, never exits", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    writeFileSync(`${MAIN}/slow`, "");
    const old = (await status(B, "main")).pid;
    await announce();
    await waitFor(() => existsSync(`${MAIN}/reloading`), { what: "the slow reload running" });
    const failedBefore = logs(b).filter((l) => l.event === "http_listen_failed").length;
    b.signalExabgp("SIGUSR2");
    await waitFor(() => logs(b).filter((l) => l.event === "http_listen_failed").length > failedBefore, { what: "the new listener meeting the busy port" });
    unlinkSync(`${MAIN}/slow`);
    const pid = await respawned(B, "main", old);
    const listening = logs(b).filter((l) => l.event === "http_listening" && String(l.address).endsWith(`:${ports.main}`)).at(-1)!;
    expect(listening.attempts).toBeGreaterThan(1);
    await announce();
    await waitFor(() => read(`${MAIN}/out.txt`) === file(live), { what: `main = ${[...live]}`, timeout: 15_000 });
    expect((await status(B, "main")).pid).toBe(pid);
    expect(b.log()).not.toMatch(/Too many death/);
    expect(b.process!.running).toBe(true);
  });
});
