// The outside world failing under the real exacast-listener: its destination
// folder read-only, its disk full, a reload command hanging past its timeout,
// a check command missing, a template throwing on one port's data. Each time:
// the destination is left as it was (no temp file behind), the error is logged
// once however many changes (and retries) meet it, and once the cause is gone
// the file is installed (a failed write, check or reload is also retried with
// no change) and a recovery logged. Mounts are made in a private
// mount namespace of the listener's own (root bypasses chmod), so nothing
// leaks to the host.

import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { announce, withdraw } from "../../packages/listener/test/exa-lines.js";
import { bin, freePort, Lab, waitFor } from "../harness/index.js";
import { inMountNamespace, inNamespaceOf, mountNamespaceProblem, seenBy } from "../harness/mount-ns.js";
import { ScriptedProcess } from "../harness/scripted.js";

const lab = new Lab("failures");
afterAll(() => lab.close());
let nsProblem: string | undefined;
beforeAll(async () => {
  nsProblem = await mountNamespaceProblem();
  if (nsProblem) console.log(`SKIPPED read-only folder and full disk: ${nsProblem}`);
});

const TEMPLATE = `<% for (const p of ports) { if (p === 666) throw new Error("port 666 is cursed"); -%>
service <%= p %>: <%= services[p].join(" ") %>
<% } -%>
`;

interface Case {
  name: string;
  /** Shell lines run in the listener's new mount namespace before it starts (none: no namespace). */
  mounts?: (dir: string) => string[];
  /** Extra template keys (YAML flow mapping entries). */
  template?: (dir: string) => string;
  result: "write_failed" | "check_failed" | "reload_failed" | "template_error";
  /** The event logged once, and what its error says. */
  event: string;
  error: RegExp;
  /** Changes sent while the cause holds. */
  changes: number;
  break(l: Listener): Promise<void>;
  /** Render attempts break() itself makes fail. */
  breakFails?: number;
  repair(l: Listener): Promise<void>;
  /** The file is replaced then put back (reload): same text and mode, another inode. */
  restored?: boolean;
}

interface LogLine {
  level: string;
  event: string;
  [k: string]: unknown;
}

class Listener {
  readonly p: ScriptedProcess;
  constructor(
    readonly dir: string,
    readonly httpPort: number,
    config: string,
    mounts: string[] | undefined,
  ) {
    const argv = [...bin("exacast-listener"), "--config", config, "--log-format", "json"];
    const [cmd, args] = mounts ? inMountNamespace(mounts, argv) : [argv[0]!, argv.slice(1)];
    this.p = new ScriptedProcess(lab, cmd, args, { name: `listener-${dir.split("/").pop()}` });
  }

  /** A path in the destination folder as the listener sees it. */
  path(name: string): string {
    return seenBy(this.p.pid, `${this.dir}/${name}`);
  }

  read(name = "out.cfg"): string | undefined {
    return existsSync(this.path(name)) ? readFileSync(this.path(name), "utf8") : undefined;
  }

  send(line: string): void {
    this.p.write(line);
  }

  logs(level?: string): LogLine[] {
    return this.p.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as LogLine)
      .filter((l) => level === undefined || l.level === level);
  }

  async attempts(result: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text();
    const m = new RegExp(`^exacast_listener_renders_total\\{template="t",result="${result}"\\} (\\d+)$`, "m").exec(text);
    return m ? Number(m[1]) : 0;
  }
}

const ann = (i: number, port = 80) => announce({ prefixes: [`10.0.0.${i}/32`], communities: [[12345, port]] });
const CHECK = (dir: string) => `${dir}/check.sh`;

const CASES: Case[] = [
  {
    name: "destination folder read-only (a read-only bind mount)",
    mounts: (dir) => [`mount --bind ${dir} ${dir}`],
    result: "write_failed",
    event: "write_failed",
    error: /EROFS/,
    changes: 10,
    break: async (l) => void (await inNamespaceOf(l.p.pid, `mount -o remount,bind,ro ${l.dir}`)),
    repair: async (l) => void (await inNamespaceOf(l.p.pid, `mount -o remount,bind,rw ${l.dir}`)),
  },
  {
    name: "disk full (a 64 KiB tmpfs, filled up)",
    mounts: (dir) => [`mount -t tmpfs -o size=64k,mode=0755 tmpfs ${dir}`],
    result: "write_failed",
    event: "write_failed",
    error: /ENOSPC/,
    changes: 10,
    break: async (l) => void (await inNamespaceOf(l.p.pid, `dd if=/dev/zero of=${l.dir}/filler bs=4096 2>/dev/null; test -s ${l.dir}/filler`)),
    repair: async (l) => void (await inNamespaceOf(l.p.pid, `rm ${l.dir}/filler`)),
  },
  {
    name: "check command missing",
    template: (dir) => `check: '${CHECK(dir)} "$EXACAST_CANDIDATE"'`,
    result: "check_failed",
    event: "check_failed",
    error: /^check exit 127: .*not found/,
    changes: 10,
    // The check is there for the first install; then it goes missing.
    break: async (l) => unlinkSync(CHECK(l.dir)),
    repair: async (l) => writeCheck(l.dir),
  },
  {
    name: "reload command hanging past its timeout (and ignoring SIGTERM)",
    template: (dir) => `reload: "test -e ${dir}/reload-ok || { trap '' TERM; sleep 31.5; }", timeout: 300ms`,
    result: "reload_failed",
    event: "reload_failed",
    error: /^reload timed out after 300 ms/,
    changes: 3,
    break: async (l) => unlinkSync(`${l.dir}/reload-ok`),
    repair: async (l) => writeFileSync(`${l.dir}/reload-ok`, ""),
    restored: true,
  },
  {
    name: "template throwing on one port's data",
    result: "template_error",
    event: "template_failed",
    error: /port 666 is cursed/,
    changes: 10,
    break: async (l) => l.send(announce({ prefixes: ["10.0.6.66/32"], communities: [[12345, 666]] })),
    breakFails: 1,
    repair: async (l) => l.send(withdraw(["10.0.6.66/32"])),
  },
];

/** Processes the listener started for this destination (checks, reloads) still running. */
function commandsLeft(dir: string): number[] {
  const mark = `EXACAST_DESTINATION=${dir}/out.cfg\0`;
  const pids: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(mark)) pids.push(Number(pid));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

function writeCheck(dir: string): void {
  writeFileSync(CHECK(dir), '#!/bin/sh\ntest -s "$1"\n');
  chmodSync(CHECK(dir), 0o755);
}

let seq = 0;
describe("the outside world fails under the listener", () => {
  for (const c of CASES) {
    it(c.name, { timeout: 60_000 }, async (ctx) => {
      if (c.mounts && nsProblem) ctx.skip();
      onTestFailed(() => console.log(lab.report(60)));
      const dir = `${lab.dir}/case-${++seq}`;
      mkdirSync(dir);
      if (c.result === "check_failed") writeCheck(dir);
      if (c.result === "reload_failed") writeFileSync(`${dir}/reload-ok`, "");
      writeFileSync(`${dir}-t.ejs`, TEMPLATE);
      const httpPort = await freePort();
      const config = `${dir}.yaml`;
      writeFileSync(
        config,
        [
          "debounce: 20ms",
          "max_wait: 200ms",
          `state_file: ${dir}/state.json`,
          `http: { listen: "127.0.0.1:${httpPort}" }`,
          "templates:",
          `  - { name: t, source: ${dir}-t.ejs, destination: ${dir}/out.cfg${c.template ? `, ${c.template(dir)}` : ""} }`,
        ].join("\n") + "\n",
      );
      const l = new Listener(dir, httpPort, config, c.mounts?.(dir));
      await l.p.waitLog(/"event":"start"/);

      l.send(ann(1));
      await waitFor(() => l.read() === "service 80: 10.0.0.1/32\n", { what: "first install" });
      // Installed and reloaded (the file is in place before its reload runs).
      await waitFor(async () => (await l.attempts("written")) === 1, { what: "first install done" });
      const before = statSync(l.path("out.cfg"));
      await c.break(l);
      const extra = c.breakFails ?? 0;
      if (extra) await waitFor(async () => (await l.attempts(c.result)) >= extra, { what: "the break's own render failing" });
      for (let i = 1; i <= c.changes; i++) {
        l.send(ann(i + 1));
        // One render attempt per change: wait for it before the next change.
        await waitFor(async () => (await l.attempts(c.result)) >= extra + i, { what: `attempt ${i} failing with ${c.result}`, timeout: 15_000 });
      }

      // The destination is as it was, nothing is left behind, and one line said why. (A retry may
      // be on its way: its file put back, its command killed, its temporary file gone.)
      await waitFor(() => l.read() === "service 80: 10.0.0.1/32\n", { what: "the destination as it was" });
      // A command past its timeout was killed with everything it started.
      await waitFor(() => commandsLeft(dir).length === 0, { what: "no command left running", timeout: 5000 });
      const after = statSync(l.path("out.cfg"));
      expect(after.mode).toBe(before.mode);
      if (!c.restored) expect({ ino: after.ino, mtime: after.mtimeMs }).toEqual({ ino: before.ino, mtime: before.mtimeMs });
      await waitFor(() => readdirSync(seenBy(l.p.pid, dir)).filter((f) => f.endsWith(".tmp")).length === 0, { what: "no temporary file left" });
      const errors = l.logs("error");
      // The state file and the RIB snapshot beside it meet the same cause: one line each at most.
      const besides = ["state_file_failed", "snapshot_failed"];
      expect(errors.filter((e) => !besides.includes(e.event))).toEqual([expect.objectContaining({ event: c.event, template: "t", error: expect.stringMatching(c.error) })]);
      for (const e of besides) expect(errors.filter((x) => x.event === e).length).toBeLessThanOrEqual(1);

      // The cause goes away: the next change installs everything, and says so once.
      await c.repair(l);
      const last = c.changes + 2;
      l.send(ann(last));
      const prefixes = Array.from({ length: last }, (_, i) => `10.0.0.${i + 1}/32`);
      await waitFor(() => l.read() === `service 80: ${prefixes.join(" ")}\n`, { what: "install after the cause is gone", timeout: 15_000 });
      await waitFor(() => l.logs().find((e) => e.event === "recovered"), { what: "recovery logged" });
      expect(l.logs().filter((e) => e.event === "recovered")).toEqual([expect.objectContaining({ level: "info", template: "t" })]);
      expect(l.logs().find((e) => e.event === "recovered")!.failures).toBeGreaterThanOrEqual(extra + c.changes);
      expect(JSON.parse(l.read("state.json")!).services).toEqual({ 80: prefixes });
      console.log(`${c.name}: ${extra + c.changes} failed renders, ${l.logs("error").length} error line(s), recovered`);
      l.p.end();
      expect(await l.p.exited).toEqual({ code: 0, signal: null });
    });
  }

  it("a reload that starts a daemon holding its output pipes does not hold the renders after it", { timeout: 30_000 }, async () => {
    onTestFailed(() => console.log(lab.report(60)));
    // Found by these tests: the listener waited for the pipes to close, so the
    // daemon (an old init script's `restart`) held every later render.
    const dir = `${lab.dir}/case-${++seq}`;
    mkdirSync(dir);
    writeFileSync(`${dir}-t.ejs`, TEMPLATE);
    const httpPort = await freePort();
    writeFileSync(
      `${dir}.yaml`,
      `debounce: 20ms\nhttp: { listen: "127.0.0.1:${httpPort}" }\ntemplates: [{ name: t, source: ${dir}-t.ejs, destination: ${dir}/out.cfg, reload: "setsid sleep 20 &", timeout: 5s }]\n`,
    );
    const l = new Listener(dir, httpPort, `${dir}.yaml`, undefined);
    try {
      await l.p.waitLog(/"event":"start"/);
      for (let i = 1; i <= 3; i++) {
        const t0 = Date.now();
        l.send(ann(i));
        await waitFor(async () => (await l.attempts("written")) === i, { what: `render ${i} installed and reloaded`, timeout: 15_000 });
        expect(Date.now() - t0).toBeLessThan(3000);
      }
      expect(l.logs("error")).toEqual([]);
      expect(commandsLeft(dir)).toHaveLength(3); // the daemons live on, as a reload meant
      l.p.end();
      expect(await l.p.exited).toEqual({ code: 0, signal: null });
    } finally {
      for (const pid of commandsLeft(dir)) process.kill(pid, "SIGKILL");
    }
  });
});
