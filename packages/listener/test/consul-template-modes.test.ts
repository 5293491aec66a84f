// The daemon in consul-template's modes, on a fake clock with fake children:
// exec: supervision, --once and --dry. No sleeps: every "not yet" is exact.

import { describe, expect, it } from "vitest";
import type { WorldOptions } from "./consul-template-world.js";
import { ALL, route, setup, world } from "./consul-template-world.js";
import { announce, eor, state } from "./exa-lines.js";

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
