// What a listener under real ExaBGP 4.2 (routes through a GoBGP route server)
// meets besides routes: a template that never ends or allocates without
// bound (at start, and by SIGHUP), check and reload commands that print
// megabytes or leave a job writing after the shell exits, a destination
// folder that goes away, and a route-server restart with the defaults. Each
// time the listener keeps reading ExaBGP, answering and rendering what it can.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { Commander, ExaBgp, GoBgp } from "../harness/index.js";
import { bin, freePort, Lab, waitFor } from "../harness/index.js";

const lab = new Lab("listener-hazards");
const A = lab.addr(2);
const B = lab.addr(3);
const SERVICES = "<% for (const p of ports) { %><%= p %>: <%= services[p].join(' ') %>\n<% } %>";
const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : undefined);
const file = (...n: number[]) => `443: ${n.map((i) => `10.2.0.${i}/32`).join(" ")}\n`;
const ann = (i: number) => `announce route 10.2.0.${i}/32 next-hop 192.0.2.2 community [12345:443]`;
const wd = (i: number) => `withdraw route 10.2.0.${i}/32 next-hop 192.0.2.2`;

let rs: GoBgp;
let cmd: Commander;
let b: ExaBgp;
const ports: Record<string, number> = {};
const dir = (name: string) => `${lab.dir}/${name}`;

/** A listener config: its folder, its HTTP port, and these extra keys and templates. */
function listener(name: string, lines: string[]): string[] {
  mkdirSync(dir(name), { recursive: true });
  writeFileSync(`${dir(name)}.yaml`, ["debounce: 50ms", "max_wait: 500ms", `http: { listen: "${B}:${ports[name]}" }`, ...lines].join("\n") + "\n");
  return [...bin("exacast-listener"), "--config", `${dir(name)}.yaml`, "--log-format", "json"];
}

async function get(name: string, path: string, timeoutMs = 2000): Promise<string> {
  return (await fetch(`http://${B}:${ports[name]}${path}`, { signal: AbortSignal.timeout(timeoutMs) })).text();
}
const renders = async (name: string, template: string, result: string) =>
  Number(new RegExp(`renders_total\\{template="${template}",result="${result}"\\} (\\d+)`).exec(await get(name, "/metrics"))?.[1] ?? 0);
const pidOf = async (name: string) => (JSON.parse(await get(name, "/status")) as { pid: number }).pid;

function logs(): { event: string; level: string; [k: string]: unknown }[] {
  const out: { event: string; level: string; [k: string]: unknown }[] = [];
  for (const l of b.log().split("\n")) {
    const at = l.indexOf('{"time"');
    if (at === -1) continue;
    try {
      out.push(JSON.parse(l.slice(at)));
    } catch {
      /* cut by another writer */
    }
  }
  return out;
}

describe("a listener under ExaBGP meeting hazards", () => {
  beforeAll(async () => {
    for (const n of ["runaway", "chatty", "writer", "defaults"]) ports[n] = await freePort(B);
    writeFileSync(`${lab.dir}/services.ejs`, SERVICES);
    writeFileSync(`${lab.dir}/loop.ejs`, "<% while (true) {} %>");
    writeFileSync(`${lab.dir}/hog.ejs`, "<% const a = []; for (;;) a.push(new Array(1e5).fill(a.length)); %>");
    writeFileSync(`${lab.dir}/good.ejs`, SERVICES);
    const t = (name: string, source: string, dest: string, extra = "") => `  - { name: ${name}, source: ${source}, destination: ${dest}${extra} }`;
    const runaway = listener("runaway", ["render_timeout: 500ms", "render_heap_mb: 64", "templates:", t("loop", `${lab.dir}/loop.ejs`, `${dir("runaway")}/loop.txt`), t("hog", `${lab.dir}/hog.ejs`, `${dir("runaway")}/hog.txt`), t("good", `${lab.dir}/good.ejs`, `${dir("runaway")}/good.txt`)]);
    const chatty = listener("chatty", [
      "templates:",
      t(
        "chatty",
        `${lab.dir}/services.ejs`,
        `${dir("chatty")}/out.txt`,
        // 2 MB from the check and from the reload; a job the reload leaves behind writes 100 kB after the
        // shell exited, and marks that its writes all went through (SIGPIPE would stop it before).
        `, check: "head -c 2000000 /dev/zero | tr '\\\\0' c; test -s \\"$EXACAST_CANDIDATE\\"", reload: "head -c 2000000 /dev/zero | tr '\\\\0' r; (sleep 0.5; head -c 100000 /dev/zero && touch ${dir("chatty")}/job-done) &"`,
      ),
    ]);
    mkdirSync(`${dir("writer")}/sub`, { recursive: true });
    const writer = listener("writer", ["templates:", t("writer", `${lab.dir}/services.ejs`, `${dir("writer")}/sub/out.txt`)]);
    const defaults = listener("defaults", [
      "templates:",
      t("defaults", `${lab.dir}/services.ejs`, `${dir("defaults")}/out.txt`, `, reload: 'cat "$EXACAST_DESTINATION" >> ${dir("defaults")}/history; echo ---- >> ${dir("defaults")}/history'`),
    ]);
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
    cmd = await lab.commander("announcer");
    lab.exabgp({ name: "a", address: A, asn: 65000, neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }], processes: [{ name: "cmd", run: cmd.run, encoder: "text" }] });
    const rr = { negotiated: true, receiveRefresh: true, encoder: "json" as const };
    b = lab.exabgp({
      name: "b",
      address: B,
      asn: 65001,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port, routeRefresh: true }],
      processes: [
        { name: "runaway", run: runaway, ...rr },
        { name: "chatty", run: chatty, ...rr },
        { name: "writer", run: writer, ...rr },
        { name: "defaults", run: defaults, ...rr },
      ],
    });
    await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
    await cmd.connected();
    expect(await cmd.command(ann(1), ann(2), ann(3))).toEqual(["done", "done", "done"]);
  });

  afterAll(() => lab.close());

  it("a check and a reload printing 2 MB each install the file; a job the reload leaves behind keeps writing after the shell exits", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    const name = "chatty";
    await waitFor(() => read(`${dir(name)}/out.txt`)?.startsWith("443: 10.2.0.1/32"), { what: "installed", timeout: 20_000 });
    await waitFor(() => existsSync(`${dir(name)}/job-done`), { what: "the background job wrote its 100 kB", timeout: 10_000 });
    expect(await renders(name, "chatty", "written")).toBeGreaterThanOrEqual(1);
    expect((await renders(name, "chatty", "check_failed")) + (await renders(name, "chatty", "reload_failed"))).toBe(0);
    const reloaded = logs().find((l) => l.event === "reloaded" && l.template === "chatty");
    expect(reloaded?.output).toMatch(/^…\(2000000 bytes, the last 4000 characters\) r+$/);
  });

  it("failed writes: retried with no route change once the cause goes; a removed destination folder is made again", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    const name = "writer";
    const out = `${dir(name)}/sub/out.txt`;
    await waitFor(() => read(out) === file(1, 2, 3), { what: "first install", timeout: 20_000 });
    // The folder becomes a file: the write fails (ENOTDIR) however it is tried.
    rmSync(`${dir(name)}/sub`, { recursive: true });
    writeFileSync(`${dir(name)}/sub`, "");
    await cmd.command(ann(5));
    await waitFor(async () => (await renders(name, "writer", "write_failed")) >= 1, { what: "write failing" });
    // The cause goes; no route changes: the file comes back on its own.
    rmSync(`${dir(name)}/sub`);
    const t0 = Date.now();
    await waitFor(() => read(out) === file(1, 2, 3, 5), { what: "retried without a route change", timeout: 10_000 });
    console.log(`failed write retried ${Date.now() - t0} ms after the cause went`);
    // The folder removed: the next change makes it again.
    rmSync(`${dir(name)}/sub`, { recursive: true });
    await cmd.command(wd(5));
    await waitFor(() => read(out) === file(1, 2, 3), { what: "folder made again" });
  });

  it("runaway templates (an endless loop, unbounded allocation) fail as template errors; stdin, /status, other templates and signals carry on", { timeout: 60_000 }, async () => {
    onTestFailed(() => console.log(lab.report(40)));
    const name = "runaway";
    // At start: the good template, rendered after the two runaways, gets its file.
    await waitFor(() => read(`${dir(name)}/good.txt`) === file(1, 2, 3), { what: "good.txt rendered", timeout: 20_000 });
    const pid = await pidOf(name);
    await waitFor(async () => (await renders(name, "loop", "template_error")) >= 1 && (await renders(name, "hog", "template_error")) >= 1, { what: "both runaways failed" });
    const errors = logs().filter((l) => l.event === "template_failed");
    expect(errors.find((e) => e.template === "loop")).toMatchObject({ error: expect.stringContaining("ran over render_timeout (500 ms)") });
    expect(errors.find((e) => e.template === "hog")).toMatchObject({ error: expect.stringMatching(/ran out of memory|ran over render_timeout/) });
    // While the runaways run, /status answers at once and stdin keeps being read.
    await cmd.command(ann(4));
    let slowest = 0;
    await waitFor(async () => {
      const t0 = Date.now();
      const s = JSON.parse(await get(name, "/status", 1000)) as { services: Record<string, string[]> };
      slowest = Math.max(slowest, Date.now() - t0);
      return s.services[443]?.includes("10.2.0.4/32");
    }, { what: "the new route in /status" });
    await waitFor(() => read(`${dir(name)}/good.txt`) === file(1, 2, 3, 4), { what: "good.txt follows the routes", timeout: 10_000 });
    expect(slowest).toBeLessThan(500);
    // By SIGHUP: the good template becomes a runaway too; the listener takes the reload and goes on.
    writeFileSync(`${lab.dir}/good.ejs`, "<% while (true) {} %>");
    process.kill(pid, "SIGHUP");
    await waitFor(() => logs().some((l) => l.event === "config_reloaded"), { what: "reloaded" });
    await waitFor(async () => (await renders(name, "good", "template_error")) >= 1, { what: "good now failing", timeout: 10_000 });
    expect(read(`${dir(name)}/good.txt`)).toBe(file(1, 2, 3, 4));
    await cmd.command(wd(4));
    await waitFor(async () => !(JSON.parse(await get(name, "/status", 1000)) as { services: Record<string, string[]> }).services[443]!.includes("10.2.0.4/32"), { what: "stdin still read" });
    // It never died; SIGTERM ends it at once (ExaBGP starts another).
    expect(await pidOf(name)).toBe(pid);
    const t0 = Date.now();
    process.kill(pid, "SIGTERM");
    await waitFor(() => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(read(`/proc/${pid}/status`) ?? ""), { what: "exited on SIGTERM", timeout: 10_000 });
    console.log(`runaway templates: /status answered within ${slowest} ms while they ran; SIGTERM → exit in ${Date.now() - t0} ms`);
    expect(b.log()).not.toMatch(/Too many death/);
    // The one ExaBGP starts next would spin again on every change: give it templates that end.
    for (const t of ["loop", "hog", "good"]) writeFileSync(`${lab.dir}/${t}.ejs`, SERVICES);
  });

  it("a route-server restart with the default stale_grace (120 s) never empties the file", async () => {
    onTestFailed(() => console.log(lab.report(40)));
    const name = "defaults";
    const history = () => (read(`${dir(name)}/history`) ?? "").split("----\n").slice(0, -1);
    await waitFor(() => history().at(-1) === file(1, 2, 3), { what: "settled", timeout: 20_000 });
    const before = history().length;
    await rs.restart();
    await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
    // The routes come back from the announcer's ExaBGP; the file never lost one.
    await waitFor(async () => {
      const s = JSON.parse(await get(name, "/status")) as { stale: unknown[]; routes: number; neighbors: { state: string }[] };
      return s.stale.length === 0 && s.routes === 3 && s.neighbors.every((n) => n.state === "up");
    }, { what: "routes re-learned", timeout: 30_000 });
    expect(history().slice(before).filter((v) => v !== file(1, 2, 3))).toEqual([]);
    expect(read(`${dir(name)}/out.txt`)).toBe(file(1, 2, 3));
    // The restart was a session loss, ridden out.
    expect(logs().some((l) => l.event === "routes_kept" && l.why === "stale_grace" && l.grace_ms === 120_000)).toBe(true);
  });
});
