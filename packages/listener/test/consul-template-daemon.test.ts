// The daemon with consul-template's habits, on a fake clock, files in memory,
// a fake shell and a fake exec child: per-template wait, the top-level reload
// (once per cycle, and what its failure puts back), exec: supervision, --once
// and --dry. No sleeps: every "not yet" is exact.

import type { LogFields } from "@exacast/core";
import { createLogger } from "@exacast/core";
import type { Child, ChildExit, ProcessOutcome } from "@exacast/runtime";
import { FakeClock, MemoryFiles } from "@exacast/runtime";
import { afterEach, describe, expect, it } from "vitest";
import type { RunMode } from "../src/args.js";
import { parseListenerConfig } from "../src/config.js";
import type { DaemonOptions } from "../src/daemon.js";
import { ListenerDaemon } from "../src/daemon.js";
import type { Setup } from "../src/setup.js";
import { compileTemplate } from "../src/template.js";
import { announce, eor, state } from "./exa-lines.js";

const ALL = "<% for (const [port, ips] of Object.entries(services)) { %><%= port %>: <%= ips.join(' ') %>\n<% } %>";
const ONLY_80 = "80: <%= (services[80] ?? []).join(' ') %>\n";
const OK: ProcessOutcome = { ok: true, status: "exit 0", exitCode: 0, timedOut: false, output: "", durationMs: 1 };
const FAIL: ProcessOutcome = { ok: false, status: "exit 1", exitCode: 1, timedOut: false, output: "bad config", durationMs: 1 };

function setup(yaml: string, templates: Record<string, string>): Setup {
  const c = parseListenerConfig(yaml, "test.yaml", "/lb");
  if (!c.ok) throw new Error(c.error.join("\n"));
  const compiled = c.value.templates.map((t) => {
    const r = compileTemplate(templates[t.source]!, t.source);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  });
  return { config: c.value, templates: compiled };
}

/** A child that never runs: what it was sent, and its exit when the test says. */
class FakeChild implements Child {
  readonly signals: string[] = [];
  private end!: (e: ChildExit) => void;
  readonly exited = new Promise<ChildExit>((r) => (this.end = r));
  constructor(readonly pid: number) {}
  signal(sig: NodeJS.Signals): boolean {
    this.signals.push(sig);
    return true;
  }
  signalGroup(sig: NodeJS.Signals): void {
    this.signals.push(`group ${sig}`);
  }
  exit(status = "exit 0"): void {
    this.end({ code: 0, signal: null, status });
  }
}

const daemons: ListenerDaemon[] = [];
const everyChild: FakeChild[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) {
    const finished = d.finish();
    for (const c of everyChild.splice(0)) c.exit();
    await finished;
  }
});

type WorldOptions = { answer?: (cmd: string, env: Record<string, string>) => ProcessOutcome; mode?: RunMode } & Omit<DaemonOptions, "run">;

function world(yaml: string, templates: Record<string, string>, { answer, ...opts }: WorldOptions = {}) {
  const clock = new FakeClock();
  const files = new MemoryFiles();
  const logs: LogFields[] = [];
  const log = createLogger({ program: "test", format: "json", level: "debug", write: (l) => void logs.push(JSON.parse(l)) });
  const commands: { cmd: string; env: Record<string, string> }[] = [];
  const children: FakeChild[] = [];
  const d = new ListenerDaemon(setup(yaml, templates), log, {
    clock,
    files,
    run: async (cmd, o) => {
      commands.push({ cmd, env: o.env ?? {} });
      return answer?.(cmd, o.env ?? {}) ?? OK;
    },
    startChild: () => {
      const c = new FakeChild(1000 + children.length);
      children.push(c);
      everyChild.push(c);
      return c;
    },
    ...opts,
  });
  daemons.push(d);
  let n = 0;
  const feed = (...lines: string[]) => lines.forEach((l) => d.line(l, ++n));
  const events = (name: string) => logs.filter((l) => l.event === name);
  return { d, clock, files, logs, commands, children, feed, events };
}

const route = (p: string, port: number, peer = "127.0.0.1") => announce({ prefixes: [p], communities: [[12345, port]], peer });

describe("per-template wait: { min, max }", () => {
  const yaml = "debounce: 50ms\nmax_wait: 2s\nstartup_wait: 2s\ntemplates:\n  - {source: a.ejs, destination: a.txt}\n  - {source: b.ejs, destination: b.txt, wait: {min: 1s, max: 3s}}\n";

  it("a template with a wait renders once no change came for min; the others keep the debounce", async () => {
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ALL });
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(w.files.text("/lb/a.txt")).toBe("80: 10.0.0.1/32\n");
    expect(w.files.text("/lb/b.txt")).toBeUndefined();
    await w.clock.advance(300);
    w.feed(route("10.0.0.2/32", 80)); // at 350: b's quiet period starts again
    await w.clock.advance(999);
    expect(w.files.text("/lb/b.txt")).toBeUndefined();
    expect(w.files.text("/lb/a.txt")).toBe("80: 10.0.0.1/32 10.0.0.2/32\n");
    await w.clock.advance(1);
    expect(w.files.text("/lb/b.txt")).toBe("80: 10.0.0.1/32 10.0.0.2/32\n");
  });

  it("changes that never stop: a waited template still renders every max; the others keep their own pace", async () => {
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ALL });
    await w.d.start();
    const writes = (f: string) => w.files.written.filter((p) => p === f).length;
    const bAt: number[] = [];
    for (let i = 0; i < 60; i++) {
      w.feed(route(`10.0.1.${i}/32`, 80));
      for (let k = 0; k < 200; k += 10) {
        const before = writes("/lb/b.txt");
        await w.clock.advance(10);
        if (writes("/lb/b.txt") > before) bAt.push(w.clock.now());
      }
    }
    // Changes every 200 ms for 12 s: b never sees 1 s of quiet, so it renders 3 s after each first pending change…
    expect(bAt).toEqual([3000, 6000, 9000, 12_000]);
    // …while a, whose debounce is 50 ms, renders after each change.
    expect(writes("/lb/a.txt")).toBe(60);
  });
});

describe("top-level reload", () => {
  const yaml = "debounce: 50ms\nreload: reload-all\ntemplates:\n  - {source: a.ejs, destination: a.txt, backup: true}\n  - {source: b.ejs, destination: b.txt, backup: true}\n";

  it("runs once per cycle however many templates changed, never when none did", async () => {
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ONLY_80 });
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(w.commands).toEqual([{ cmd: "reload-all", env: { EXACAST_DESTINATIONS: "/lb/a.txt\n/lb/b.txt", EXACAST_TEMPLATES: "a.ejs\nb.ejs" } }]);
    w.feed(route("10.0.0.2/32", 443)); // only a.txt changes
    await w.clock.advance(50);
    expect(w.commands.map((c) => c.env.EXACAST_DESTINATIONS)).toEqual(["/lb/a.txt\n/lb/b.txt", "/lb/a.txt"]);
    w.feed(announce({ prefixes: ["192.0.2.0/24"], communities: [[65000, 1]] })); // not a service route: no file changes
    await w.clock.advance(500);
    expect(w.commands).toHaveLength(2);
  });

  it("a failed reload puts back every file of the cycle and its older .bak; the next change tries again", async () => {
    let fail = false;
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ONLY_80 }, { answer: () => (fail ? FAIL : OK) });
    await w.d.start();
    for (const [i, p] of ["10.0.0.1/32", "10.0.0.2/32"].entries()) {
      w.feed(route(p, 80));
      await w.clock.advance(50 * (i + 1));
    }
    const a = w.files.text("/lb/a.txt");
    const b = w.files.text("/lb/b.txt");
    expect(w.files.text("/lb/a.txt.bak")).toBe("80: 10.0.0.1/32\n");
    fail = true;
    w.feed(route("10.0.0.3/32", 80));
    await w.clock.advance(50);
    expect([w.files.text("/lb/a.txt"), w.files.text("/lb/b.txt")]).toEqual([a, b]);
    expect(w.files.text("/lb/a.txt.bak")).toBe("80: 10.0.0.1/32\n");
    expect(w.files.text("/lb/b.txt.bak")).toBe("80: 10.0.0.1/32\n");
    expect(w.events("reload_failed")).toEqual([
      expect.objectContaining({ scope: "cycle", template: "a.ejs", file: "previous file restored", error: "reload exit 1: bad config" }),
      expect.objectContaining({ scope: "cycle", template: "b.ejs", file: "previous file restored" }),
    ]);
    expect(w.d.status().templates.map((t) => t.last?.result)).toEqual(["reload_failed", "reload_failed"]);
    fail = false;
    w.feed(route("10.0.0.4/32", 443));
    await w.clock.advance(50);
    expect(w.files.text("/lb/b.txt")).toBe("80: 10.0.0.1/32 10.0.0.2/32 10.0.0.3/32\n");
    expect(w.files.text("/lb/b.txt.bak")).toBe(b);
  });
});

describe("a template's own failed reload", () => {
  it("restores the previous file without overwriting the older .bak", async () => {
    const w = world("debounce: 50ms\ntemplates: [{source: a.ejs, destination: a.txt, backup: true, reload: check-and-reload}]\n", { "/lb/a.ejs": ALL }, {
      answer: (_cmd, env) => (env.EXACAST_DESTINATION && /10\.9\.9\.9/.test(filesRef.text(env.EXACAST_DESTINATION) ?? "") ? FAIL : OK),
    });
    const filesRef = w.files;
    await w.d.start();
    for (const p of ["10.0.0.1/32", "10.0.0.2/32"]) {
      w.feed(route(p, 80));
      await w.clock.advance(50);
    }
    const v1 = "80: 10.0.0.1/32\n";
    const v2 = "80: 10.0.0.1/32 10.0.0.2/32\n";
    expect([w.files.text("/lb/a.txt"), w.files.text("/lb/a.txt.bak")]).toEqual([v2, v1]);
    w.feed(route("10.9.9.9/32", 80)); // the service refuses this one
    await w.clock.advance(50);
    expect([w.files.text("/lb/a.txt"), w.files.text("/lb/a.txt.bak")]).toEqual([v2, v1]);
    expect(w.events("reload_failed")).toEqual([expect.objectContaining({ file: "previous file restored" })]);
  });
});

describe("exec: the supervised child", () => {
  const yaml = (extra = "") => `debounce: 50ms\nexec: { command: [haproxy, -f, /lb/a.txt], kill_timeout: 5s${extra} }\ntemplates: [{source: a.ejs, destination: a.txt}]\n`;

  it("starts once the files rendered, gets reload_signal when they change, is restarted with a back-off when it dies, stops with the listener", async () => {
    const w = world(yaml(), { "/lb/a.ejs": ALL });
    await w.d.start();
    await w.clock.advance(10_000);
    expect(w.children).toHaveLength(0); // nothing rendered yet: the child would read a missing file
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(w.children).toHaveLength(1);
    expect(w.children[0]!.signals).toEqual([]); // started on the new files: no reload for it
    w.feed(route("10.0.0.2/32", 80));
    await w.clock.advance(50);
    expect(w.children[0]!.signals).toEqual(["SIGHUP"]);
    w.children[0]!.exit("killed by SIGSEGV");
    await w.clock.advance(999);
    expect(w.children).toHaveLength(1);
    await w.clock.advance(1);
    expect(w.children).toHaveLength(2);
    expect(w.events("exec_died")).toEqual([expect.objectContaining({ status: "killed by SIGSEGV", restart_in_ms: 1000 })]);
    const finished = w.d.finish();
    await w.clock.advance(0);
    expect(w.children[1]!.signals).toEqual(["SIGTERM"]);
    await w.clock.advance(5000); // it ignores SIGTERM: SIGKILL to its group at kill_timeout
    expect(w.children[1]!.signals).toEqual(["SIGTERM", "group SIGKILL"]);
    w.children[1]!.exit("killed by SIGKILL");
    await finished;
    expect(w.events("exec_stopped")).toHaveLength(1);
  });

  it("SIGHUP: the same exec: keeps its child; a changed one stops it and starts the new one on the files", async () => {
    const w = world(yaml(), { "/lb/a.ejs": ALL });
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(await w.d.reload(setup(yaml(), { "/lb/a.ejs": ALL }))).toEqual([]);
    await w.clock.advance(50);
    expect([w.children.length, w.children[0]!.signals]).toEqual([1, []]);
    const reloading = w.d.reload(setup(yaml(", kill_signal: SIGQUIT"), { "/lb/a.ejs": ALL }));
    await w.clock.advance(0);
    expect(w.children[0]!.signals).toEqual(["SIGTERM"]);
    w.children[0]!.exit();
    expect(await reloading).toEqual([]);
    await w.clock.advance(50);
    expect(w.children).toHaveLength(2);
    expect(w.d.exec?.spec.killSignal).toBe("SIGQUIT");
  });

  it("reload_signal: null restarts the child when files changed", async () => {
    const w = world(yaml(", reload_signal: null"), { "/lb/a.ejs": ALL });
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    w.feed(route("10.0.0.2/32", 80));
    await w.clock.advance(50);
    expect(w.children[0]!.signals).toEqual(["SIGTERM"]);
    expect(w.children).toHaveLength(1);
    w.children[0]!.exit();
    await w.clock.advance(0);
    expect(w.children).toHaveLength(2); // at once: no back-off for a restart we asked for
  });
});

describe("--once", () => {
  const yaml = "debounce: 50ms\nstartup_wait: 10s\ntemplates: [{source: a.ejs, destination: a.txt}]\n";
  const once = (extra: WorldOptions = {}, y = yaml, t = ALL) => {
    const done: boolean[] = [];
    const w = world(y, { "/lb/a.ejs": t }, { mode: { once: true, dryRun: false }, onceDone: (ok) => done.push(ok), ...extra });
    return { ...w, done };
  };

  it("renders after End-of-RIB from every neighbor that came up, for each family it sent routes in", async () => {
    const w = once();
    await w.d.start();
    w.feed(state("up", "127.0.0.1"), state("up", "127.0.0.2"), route("10.0.0.1/32", 80), announce({ prefixes: ["2001:db8::1/128"], communities: [[12345, 80]] }));
    w.feed(eor("127.0.0.1", "ipv4"), eor("127.0.0.2", "ipv4"));
    await w.clock.advance(5000);
    expect(w.done).toEqual([]); // 127.0.0.1 sent IPv6 routes and no IPv6 End-of-RIB yet
    w.feed(eor("127.0.0.1", "ipv6"));
    await w.clock.advance(49);
    expect(w.done).toEqual([]);
    await w.clock.advance(1);
    expect(w.done).toEqual([true]);
    expect(w.files.text("/lb/a.txt")).toBe("80: 10.0.0.1/32 2001:db8::1/128\n");
    w.feed(route("10.0.0.9/32", 80));
    await w.clock.advance(1000);
    await w.d.finish();
    expect(w.files.written).toEqual(["/lb/a.txt"]); // that render was the one
  });

  it("a peer that sends no End-of-RIB: startup_wait after the first session came up", async () => {
    const w = once();
    await w.d.start();
    await w.clock.advance(60_000);
    w.feed(state("up"), route("10.0.0.1/32", 80));
    await w.clock.advance(9999);
    expect(w.done).toEqual([]);
    await w.clock.advance(1);
    expect(w.done).toEqual([true]);
  });

  it("updates from sessions it did not see come up (ExaBGP restarted it, and replays nothing): nothing rendered, ever, even at EOF", async () => {
    const w = once();
    await w.d.start();
    await w.clock.advance(3_600_000);
    w.feed(route("10.0.0.1/32", 80), eor());
    await w.clock.advance(3_600_000);
    expect([w.done, w.files.written]).toEqual([[], []]);
    // A second peer coming up does not make the first one's routes a whole table.
    w.feed(state("up", "127.0.0.2"), eor("127.0.0.2"));
    await w.clock.advance(3_600_000);
    await w.d.finish();
    expect([w.done, w.files.written]).toEqual([[], []]);
  });

  it("a template that fails: done, not ok (exit 1)", async () => {
    const w = once({}, yaml, "<% throw new Error('no') %>");
    await w.d.start();
    w.feed(state("up"), eor());
    await w.clock.advance(50);
    expect(w.done).toEqual([false]);
  });
});

describe("--dry", () => {
  const yaml = "debounce: 50ms\nreload: reload-all\nstate_file: s.json\nexec: { command: [server] }\ntemplates: [{source: a.ejs, destination: a.txt, check: check-it, reload: reload-a, mode: '0600', user: '0'}]\n";

  it("shows the diff, writes and runs nothing, starts no child; the next render shows what changed since", async () => {
    const diffs: string[] = [];
    const w = world(yaml, { "/lb/a.ejs": ALL }, { mode: { once: false, dryRun: true }, writeDiff: (t) => diffs.push(t) });
    await w.files.replaceFile("/lb/a.txt", "80: 10.0.0.9/32\n");
    w.files.written.length = 0;
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(w.files.text("/lb/a.txt")).toBe("80: 10.0.0.9/32\n");
    expect([w.files.written, w.commands, w.children]).toEqual([[], [], []]);
    expect(diffs[0]).toMatch(/^--- \/dev\/null\n\+\+\+ \/lb\/s\.json\n@@ -0,0 \+1,\d+ @@\n\+\{\n/);
    expect(diffs[1]).toBe("--- /lb/a.txt\n+++ /lb/a.txt\n@@ -1,1 +1,1 @@\n-80: 10.0.0.9/32\n+80: 10.0.0.1/32\n");
    expect(w.events("would_write").map((e) => [e.destination, e.added, e.removed])).toEqual([
      ["/lb/s.json", expect.any(Number), 0],
      ["/lb/a.txt", 1, 1],
    ]);
    expect(w.events("would_run").map((e) => e.command)).toEqual(["reload-a", "reload-all"]);
    expect(w.events("would_signal")).toHaveLength(1);
    w.feed(route("10.0.0.2/32", 80));
    await w.clock.advance(50);
    expect(diffs[3]).toBe("--- /lb/a.txt\n+++ /lb/a.txt\n@@ -1,1 +1,1 @@\n-80: 10.0.0.1/32\n+80: 10.0.0.1/32 10.0.0.2/32\n");
    expect(w.files.written).toEqual([]);
  });

  it("with JSON logs the diff is a field of its one would_write record", async () => {
    const w = world(yaml, { "/lb/a.ejs": ALL }, { mode: { once: false, dryRun: true } });
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(w.events("would_write")[1]).toMatchObject({ destination: "/lb/a.txt", new_file: true, diff: "--- /dev/null\n+++ /lb/a.txt\n@@ -0,0 +1,1 @@\n+80: 10.0.0.1/32\n" });
  });
});
