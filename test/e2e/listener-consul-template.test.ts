// consul-template's habits, through real daemons: routes announced by an
// ExaBGP the test scripts, reflected by a GoBGP route server, received by an
// ExaBGP 4.2 that runs one exacast-listener per habit (each with its own
// flags, files and stderr): --template SRC:DEST:CMD into a missing folder,
// --once, --dry, per-template wait, user/group and the top-level reload, a
// failed reload keeping the older .bak, exec: supervision, template files
// edited on disk (watched and polled).

import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { Commander, GoBgp } from "../harness/index.js";
import { bin, helper, Lab, repoRoot, waitFor } from "../harness/index.js";
import { ListenerProcess } from "../harness/listener.js";
import { fixture } from "../../packages/listener/test/exa-lines.js";

const lab = new Lab("listener-ct");
const A = lab.addr(2); // the announcing side
const B = lab.addr(3); // the listeners' ExaBGP
const dir = lab.dir;
const SEED = `${repoRoot}/examples/seed.ejs`;
const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : undefined);
const lines = (f: string) => (read(f) ?? "").split("\n").filter(Boolean);
const seed = (entries: [number, string[]][]) =>
  entries.map(([port, ips]) => `service_${port}\n  listen 127.0.0.1:${port}\n${ips.map((ip) => `  backend ${ip}:${port}\n`).join("")}\n`).join("");
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A listener ExaBGP runs through a wrapper: its stderr in <name>.err, its exit in <name>.exit. */
function listener(name: string, args: string[]): string[] {
  const script = `${dir}/${name}.sh`;
  const [node, witness] = helper("exit-witness.mjs");
  writeFileSync(script, `#!/bin/sh\nexec ${[node!, witness!, `${dir}/${name}.exit`, ...bin("exacast-listener"), ...args].map(q).join(" ")} 2>>${q(`${dir}/${name}.err`)}\n`);
  chmodSync(script, 0o755);
  return [script];
}
const stderr = (name: string) => read(`${dir}/${name}.err`) ?? "";
const config = (name: string, yaml: string[]) => {
  writeFileSync(`${dir}/${name}.yaml`, yaml.join("\n") + "\n");
  return ["--config", `${dir}/${name}.yaml`];
};
/** A template with a reload that notes each install, with the time, in <name>.installs. */
const noting = (name: string) => `echo "$(date +%s%3N) $EXACAST_TEMPLATE" >> ${dir}/${name}.installs`;

let rs: GoBgp;
let cmd: Commander;
const announce = (...routes: string[]) => cmd.command(...routes.map((r) => `announce route ${r} next-hop 192.0.2.2`));
const withdraw = (...prefixes: string[]) => cmd.command(...prefixes.map((p) => `withdraw route ${p} next-hop 192.0.2.2`));

const INITIAL = seed([
  [80, ["10.255.255.1"]],
  [443, ["10.255.255.2"]],
]);

beforeAll(async () => {
  rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
  cmd = await lab.commander("announcer");
  lab.exabgp({ name: "a", address: A, asn: 65000, neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }], processes: [{ name: "cmd", run: cmd.run, encoder: "text" }] });
  await rs.waitEstablished(A);
  // The table the listeners find when their session comes up.
  expect(await announce("10.255.255.1/32 community [12345:80]", "10.255.255.2/32 community [12345:443]")).toEqual(["done", "done"]);
  await waitFor(async () => (await rs.adjIn(A)).length === 2, { what: "routes at the route server" });

  writeFileSync(`${dir}/dry-out.txt`, "old\n");
  writeFileSync(`${dir}/restore.ejs`, "<% for (const [port, ips] of Object.entries(services)) { -%>\n<%= port %> <%= ips.join(' ') %>\n<% } -%>\n");
  writeFileSync(`${dir}/watched.ejs`, "v1 <%= ports.join(',') %>\n");
  writeFileSync(`${dir}/polled.ejs`, "p1 <%= ports.join(',') %>\n");
  writeFileSync(`${dir}/only80.ejs`, "<%= (services[80] ?? []).join(' ') %>\n");
  writeFileSync(`${dir}/exec-child.sh`, `echo $$ >> ${dir}/exec.pids\ntrap 'echo "HUP $(cat ${dir}/cycle-a.txt | wc -l)" >> ${dir}/exec.signals' HUP\ntrap 'echo TERM >> ${dir}/exec.signals; exit 0' TERM\nwhile :; do sleep 0.1; done\n`);
  const processes = [
    { name: "cli", run: listener("cli", ["--debounce", "50ms", "--template", `${SEED}:${dir}/made/for/you/out.txt:echo "reloaded $EXACAST_DESTINATION" >> ${dir}/cli.reloads`]) },
    { name: "once", run: listener("once", [...config("once", ["startup_wait: 3s", "debounce: 50ms", `templates: [{ source: ${SEED}, destination: ${dir}/once.txt }]`]), "--once"]) },
    {
      name: "dry",
      run: listener("dry", [
        ...config("dry", ["debounce: 50ms", "reload: touch " + `${dir}/dry.reloaded`, `templates: [{ source: ${SEED}, destination: ${dir}/dry-out.txt, check: "touch ${dir}/dry.checked", reload: "touch ${dir}/dry.reloaded" }, { source: ${SEED}, destination: ${dir}/dry-new/out.txt, name: new }]`]),
        "--dry",
      ]),
    },
    {
      name: "waits",
      run: listener("waits", config("waits", ["debounce: 50ms", "startup_wait: 1s", "templates:", `  - { source: ${SEED}, destination: ${dir}/fast.txt, name: fast, reload: '${noting("waits")}' }`, `  - { source: ${SEED}, destination: ${dir}/slow.txt, name: slow, reload: '${noting("waits")}', wait: { min: 1500ms, max: 6s } }`])),
    },
    {
      name: "cycle",
      run: listener(
        "cycle",
        config("cycle", [
          "debounce: 50ms",
          `reload: 'echo "$EXACAST_DESTINATIONS" | tr "\\n" " " >> ${dir}/cycle.reloads; echo >> ${dir}/cycle.reloads'`,
          "templates:",
          `  - { source: ${SEED}, destination: ${dir}/cycle-a.txt, name: a, user: nobody, group: nogroup, mode: "0640" }`,
          `  - { source: ${SEED}, destination: ${dir}/cycle-b.txt, name: b }`,
          `  - { source: ${dir}/only80.ejs, destination: ${dir}/cycle-80.txt, name: only80 }`,
          `exec: { command: [sh, ${dir}/exec-child.sh], kill_timeout: 5s }`,
        ]),
      ),
    },
    {
      name: "restore",
      run: listener("restore", config("restore", ["debounce: 50ms", `templates: [{ source: ${dir}/restore.ejs, destination: ${dir}/restore.txt, backup: true, reload: '! grep -q 10.255.255.66 "$EXACAST_DESTINATION"' }]`])),
    },
    {
      name: "watch",
      run: listener("watch", config("watch", ["debounce: 50ms", `templates: [{ source: ${dir}/watched.ejs, destination: ${dir}/watched.txt }, { source: ${dir}/polled.ejs, destination: ${dir}/polled.txt }]`])),
    },
    { name: "poll", run: listener("poll", config("poll", ["debounce: 50ms", "template_watch: poll", `templates: [{ source: ${dir}/polled.ejs, destination: ${dir}/polled-by-poll.txt }]`])) },
  ];
  lab.exabgp({
    name: "b",
    address: B,
    asn: 65001,
    neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
    processes: processes.map((p) => ({ ...p, encoder: "json" as const })),
  });
  await rs.waitEstablished(B);
}, 60_000);

afterAll(() => lab.close());

describe("exacast-listener as consul-template users run it, under ExaBGP 4.2 and GoBGP", () => {
  it("--template SRC:DEST:CMD: CMD is that template's reload; DEST's missing folders are made", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => read(`${dir}/made/for/you/out.txt`) === INITIAL, { what: "cli render", timeout: 20_000 });
    await waitFor(() => lines(`${dir}/cli.reloads`).includes(`reloaded ${dir}/made/for/you/out.txt`), { what: "CMD ran" });
    expect(existsSync(`${dir}/made/for/you/out.txt:echo "reloaded $EXACAST_DESTINATION" >> ${dir}/cli.reloads`)).toBe(false);
    expect(stderr("cli")).toMatch(/folder_created folder=\S+\/made\n/);
  });

  it("--once: renders the first complete table (GoBGP sends no End-of-RIB: after startup_wait), exits 0; ExaBGP's restart of it renders nothing", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => read(`${dir}/once.exit`), { what: "--once exit", timeout: 20_000 });
    expect(JSON.parse(read(`${dir}/once.exit`)!)).toEqual({ code: 0, signal: null });
    expect(read(`${dir}/once.txt`)).toBe(INITIAL);
    expect(stderr("once")).toMatch(/shutdown .*reason="rendered once \(--once\)"/);
    // ExaBGP starts it again at once; that one hears nothing (ExaBGP replays nothing) and renders nothing.
    await waitFor(() => stderr("once").match(/ INFO {2}start /g)?.length === 2, { what: "the respawned --once listener" });
  });

  it("--dry: the diff on stderr; nothing written, made or run", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => stderr("dry").includes("+  backend 10.255.255.2:443"), { what: "dry diff", timeout: 20_000 });
    const err = stderr("dry");
    expect(err).toMatch(new RegExp(`would_write dry_run=true destination=${dir}/dry-out\\.txt added=\\d+ removed=1\\n--- ${dir}/dry-out\\.txt\\n\\+\\+\\+ ${dir}/dry-out\\.txt\\n@@ -1,1 \\+1,\\d+ @@\\n-old\\n\\+service_80\\n`));
    expect(err).toContain(`--- /dev/null\n+++ ${dir}/dry-new/out.txt\n`);
    expect(err).toMatch(/would_run dry_run=true command="touch \S+dry\.reloaded" template=seed\.ejs/);
    expect(read(`${dir}/dry-out.txt`)).toBe("old\n");
    expect([existsSync(`${dir}/dry-new`), existsSync(`${dir}/dry.checked`), existsSync(`${dir}/dry.reloaded`)]).toEqual([false, false, false]);
  });

  it("wait: { min, max }: a template renders once no change came for min, the others at their own debounce", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => read(`${dir}/slow.txt`) === INITIAL, { what: "first renders", timeout: 20_000 });
    const before = lines(`${dir}/waits.installs`).length;
    // The listener cannot get the route before it is sent.
    const sent = Date.now();
    await announce("10.255.255.3/32 community [12345:80]");
    await waitFor(() => lines(`${dir}/waits.installs`).length >= before + 2, { what: "both templates installed" });
    const [fast, slow] = lines(`${dir}/waits.installs`).slice(before).map((l) => l.split(" "));
    // The route came to both at once: the fast one rendered first, the slow one after 1.5 s of quiet.
    expect([fast![1], slow![1]]).toEqual(["fast", "slow"]);
    expect(Number(slow![0]) - sent).toBeGreaterThanOrEqual(1500);
  });

  it("the top-level reload runs once per cycle however many templates changed; user and group own the file", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => read(`${dir}/cycle-a.txt`)?.includes("10.255.255.3"), { what: "cycle render", timeout: 20_000 });
    const before = lines(`${dir}/cycle.reloads`).length;
    await announce("10.255.255.4/32 community [12345:80]"); // every template changes
    await waitFor(() => lines(`${dir}/cycle.reloads`).length > before, { what: "cycle reload" });
    await announce("10.255.255.5/32 community [12345:443]"); // port 443 only: only80.ejs unchanged
    await waitFor(() => lines(`${dir}/cycle.reloads`).length > before + 1, { what: "second cycle reload" });
    expect(lines(`${dir}/cycle.reloads`).slice(before).map((l) => l.trim())).toEqual([`${dir}/cycle-a.txt ${dir}/cycle-b.txt ${dir}/cycle-80.txt`, `${dir}/cycle-a.txt ${dir}/cycle-b.txt`]);
    const s = statSync(`${dir}/cycle-a.txt`);
    expect([s.uid, s.gid, s.mode & 0o777]).toEqual(process.getuid?.() === 0 ? [65534, 65534, 0o640] : [s.uid, s.gid, 0o640]);
  });

  it("exec: the child starts once the files are rendered, gets SIGHUP after they changed, comes back when it dies", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => lines(`${dir}/exec.pids`).length === 1, { what: "exec child started" });
    await withdraw("10.255.255.4/32");
    // The child notes the length of the file when it gets SIGHUP: it came after the file changed.
    const length = seed([[80, ["10.255.255.1", "10.255.255.3"]], [443, ["10.255.255.2", "10.255.255.5"]]]).split("\n").length - 1;
    await waitFor(() => lines(`${dir}/exec.signals`).at(-1) === `HUP ${length}`, { what: "SIGHUP to the child after the withdraw" });
    const first = Number(lines(`${dir}/exec.pids`)[0]);
    process.kill(first, "SIGKILL");
    await waitFor(() => lines(`${dir}/exec.pids`).length === 2, { what: "child restarted", timeout: 10_000 });
    expect(stderr("cycle")).toMatch(new RegExp(`exec_died status="killed by SIGKILL" restart_in_ms=1000 deaths_in_a_row=1 pid=${first}`));
  });

  it("a failed reload puts the previous file back and keeps the older .bak", async () => {
    onTestFailed(() => console.log(lab.report()));
    const v = (ports80: string, ports443: string) => `80 ${ports80}\n443 ${ports443}\n`;
    await announce("10.255.255.6/32 community [12345:80]");
    const v2 = v("10.255.255.1/32 10.255.255.3/32 10.255.255.6/32", "10.255.255.2/32 10.255.255.5/32");
    await waitFor(() => read(`${dir}/restore.txt`) === v2, { what: "v2", timeout: 20_000 });
    const v1 = read(`${dir}/restore.txt.bak`)!;
    expect(v1).not.toBe(v2);
    await announce("10.255.255.66/32 community [12345:443]"); // the reload refuses files with this one
    await waitFor(() => stderr("restore").match(/ERROR reload_failed .*file="previous file restored"/), { what: "reload failed" });
    expect([read(`${dir}/restore.txt`), read(`${dir}/restore.txt.bak`)]).toEqual([v2, v1]);
    await withdraw("10.255.255.66/32", "10.255.255.6/32");
    await waitFor(() => !read(`${dir}/restore.txt`)!.includes("10.255.255.6/32"), { what: "next change installs" });
    expect(read(`${dir}/restore.txt.bak`)).toBe(v2);
  });

  it("a template edited on disk renders without SIGHUP; a broken edit is refused and the old template kept", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => read(`${dir}/watched.txt`)?.startsWith("v1 80,443"), { what: "first watched render", timeout: 20_000 });
    writeFileSync(`${dir}/watched.ejs`, "v2 <%= ports.join('+') %>\n");
    await waitFor(() => read(`${dir}/watched.txt`) === "v2 80+443\n", { what: "edit picked up" });
    writeFileSync(`${dir}/watched.ejs`, "v3 <%= ports.join(\n");
    await waitFor(() => stderr("watch").match(/ERROR template_refused file=\S+watched\.ejs error="\S+watched\.ejs:1: .*kept="previous template"/), { what: "broken edit refused" });
    await announce("10.255.255.7/32 community [12345:8080]");
    await waitFor(() => read(`${dir}/watched.txt`) === "v2 80+443+8080\n", { what: "old template still rendering" });
    expect(stderr("watch")).not.toMatch(/config_reloaded/);
  });

  it("template_watch: poll picks up an edit too", async () => {
    onTestFailed(() => console.log(lab.report()));
    await waitFor(() => read(`${dir}/polled-by-poll.txt`)?.startsWith("p1 "), { what: "first polled render", timeout: 20_000 });
    writeFileSync(`${dir}/polled.ejs`, "p2 <%= ports.length %>\n");
    await waitFor(() => read(`${dir}/polled-by-poll.txt`)?.startsWith("p2 "), { what: "poll saw the edit" });
    await waitFor(() => read(`${dir}/polled.txt`)?.startsWith("p2 "), { what: "the watch saw it as well" });
  });

  it("the --once file never changed after its one render", () => {
    expect(read(`${dir}/once.txt`)).toBe(INITIAL);
  });
});

describe("exec: when the listener stops", () => {
  it("EOF: the child gets kill_signal and is gone before the listener exits 0", async () => {
    onTestFailed(() => console.log(lab.report()));
    const out = `${dir}/stop.txt`;
    writeFileSync(`${dir}/stop-child.sh`, `echo $$ > ${dir}/stop.pid\ntrap 'echo TERM > ${dir}/stop.signal; exit 0' TERM\nwhile :; do sleep 0.1; done\n`);
    const l = new ListenerProcess(lab, config("stop", ["debounce: 50ms", `exec: { command: [sh, ${dir}/stop-child.sh] }`, `templates: [{ source: ${SEED}, destination: ${out} }]`]), { name: "stop-listener" });
    l.write(...fixture("exabgp-4.2-route-server-session.ndjson").slice(0, 8));
    await waitFor(() => read(`${dir}/stop.pid`), { what: "child started" });
    const pid = Number(read(`${dir}/stop.pid`));
    l.end();
    expect(await l.exited).toEqual({ code: 0, signal: null });
    expect(read(`${dir}/stop.signal`)).toBe("TERM\n");
    expect(() => process.kill(pid, 0)).toThrow();
    expect(l.stderr).toMatch(/exec_stopped status="exit 0"/);
  });
});
