// execute hooks: the config forms, the environment, one app's hooks in order
// and coalesced, and a hook that never ends delaying no check (fake clock).

import { describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import type { ProcessOutcome, RunOptions } from "@exacast/runtime";
import { FakeClock } from "@exacast/runtime";
import { Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { validateApp } from "../src/app-request.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { DEFAULT_TIMERS } from "../src/model.js";
import type { HookEvent } from "../src/hooks.js";
import { HookRunner, MAX_WAITING, hookEnv, hookObserver } from "../src/hooks.js";

const OK: ProcessOutcome = { ok: true, status: "exit 0", exitCode: 0, timedOut: false, output: "", durationMs: 1 };
const quiet = createLogger({ program: "t", level: "error", format: "json", write: () => {} });

/** A process runner whose runs end when the test says. */
function fakeRunner() {
  const runs: { command: readonly string[] | string; opts: RunOptions; end: (r?: ProcessOutcome) => void }[] = [];
  const run = (command: readonly string[] | string, opts: RunOptions) => new Promise<ProcessOutcome>((resolve) => runs.push({ command, opts, end: (r = OK) => resolve(r) }));
  return { runs, run };
}
const settle = () => new Promise((r) => setTimeout(r, 0));
const ev = (state: HookEvent["state"], previous: HookEvent["previous"]): HookEvent => ({ app: "web", state, previous, vips: ["10.0.0.1/32", "2001:db8::1/128"] });
const SPEC = { command: ["/bin/hook"], shell: false, timeout: 5000 };

describe("execute: config", () => {
  const load = (yaml: string) => loadAnnouncerConfig(`next_hop: self\n${yaml}`, "/t/a.yaml");

  it("an argv list, or a string with shell: true and a timeout; an app overrides the default or turns it off", () => {
    const r = load(
      ["execute: [/usr/local/bin/on-change, --all]", "apps:", "  - { name: a, vip: 10.0.0.1/32 }", '  - { name: b, vip: 10.0.0.2/32, execute: { command: "logger $EXACAST_STATE", shell: true, timeout: 2s } }', "  - { name: c, vip: 10.0.0.3/32, execute: null }"].join("\n"),
    );
    if (!r.ok) throw new Error(r.error.join("\n"));
    expect(r.value.apps.map((a) => a.execute)).toEqual([
      { command: ["/usr/local/bin/on-change", "--all"], shell: false, timeout: 30_000 },
      { command: "logger $EXACAST_STATE", shell: true, timeout: 2000 },
      null,
    ]);
  });

  it("refused over HTTP unless allow_exec (a hook runs commands on the host); the file's default is inherited", () => {
    const globals = { communityAsn: 12345, nextHop: "self" as const, timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null, execute: SPEC };
    const http = (exec: boolean) => ({ globals, baseDir: "/t", rules: { consul: false, exec, execRefused: "exec is refused over HTTP" } });
    const refused = validateApp("web", { vip: "10.0.0.1/32", execute: ["/bin/evil"] }, "http", http(false));
    expect(refused.ok ? [] : refused.error).toEqual(["execute: exec is refused over HTTP"]);
    expect(validateApp("web", { vip: "10.0.0.1/32", execute: ["/bin/ok"] }, "http", http(true)).ok).toBe(true);
    const inherited = validateApp("web", { vip: "10.0.0.1/32" }, "http", http(false));
    expect(inherited.ok && inherited.value.spec.execute).toEqual(SPEC);
  });

  it("a string without shell: true is refused, with the reason", () => {
    const r = load("apps:\n  - { name: a, vip: 10.0.0.1/32, execute: { command: 'echo hi' } }");
    expect(r.ok ? "" : r.error.join("\n")).toMatch(/apps\[0\]\.execute\.command: a command string runs through \/bin\/sh only with shell: true/);
  });
});

describe("execute: the runner", () => {
  it("gives the app, the states (lowercase, and healthcheck's STATE) and the VIPs in the environment", () => {
    expect(hookEnv(ev("UP", "RISING"))).toEqual({
      EXACAST_APP: "web",
      EXACAST_STATE: "up",
      EXACAST_PREVIOUS: "rising",
      EXACAST_VIPS: "10.0.0.1/32 2001:db8::1/128",
      STATE: "UP",
    });
  });

  it("runs one app's hooks one at a time, in the order of its changes", async () => {
    const f = fakeRunner();
    const h = new HookRunner(f.run, quiet);
    h.changed(SPEC, ev("UP", "INIT"));
    h.changed(SPEC, ev("DOWN", "UP"));
    h.changed(SPEC, ev("UP", "DOWN"));
    expect(f.runs).toHaveLength(1);
    expect(f.runs[0]!.opts).toMatchObject({ timeoutMs: 5000, shell: false, env: { EXACAST_STATE: "up", EXACAST_PREVIOUS: "init" } });
    f.runs[0]!.end({ ...OK, ok: false, status: "timed out after 5000 ms", timedOut: true });
    await settle();
    expect(f.runs[1]!.opts.env).toMatchObject({ EXACAST_STATE: "down", EXACAST_PREVIOUS: "up" });
    f.runs[1]!.end();
    await settle();
    expect(f.runs[2]!.opts.env).toMatchObject({ EXACAST_STATE: "up", EXACAST_PREVIOUS: "down" });
    f.runs[2]!.end();
    await settle();
    expect(h.busy).toBe(0);
    expect(h.stats).toMatchObject({ runs: 3, failures: 1, coalesced: 0 });
  });

  it("a flapping app: beyond MAX_WAITING changes are folded into the last, a change back to what the script will know dropped", async () => {
    const f = fakeRunner();
    const h = new HookRunner(f.run, quiet);
    h.changed(SPEC, ev("UP", "INIT"));
    const states = ["DOWN", "UP"] as const;
    for (let i = 0; i < MAX_WAITING + 3; i++) h.changed(SPEC, ev(states[i % 2]!, states[(i + 1) % 2]!));
    expect(h.busy).toBeLessThanOrEqual(1 + MAX_WAITING);
    expect(h.stats.coalesced).toBe(2); // the 9th and the 11th change
    const seen: string[] = [];
    for (let i = 0; i < 20 && f.runs.length > seen.length; i++) {
      const r = f.runs[seen.length]!;
      seen.push(`${r.opts.env!.EXACAST_PREVIOUS}>${r.opts.env!.EXACAST_STATE}`);
      r.end();
      await settle();
    }
    // Every hook follows from the state the one before it reported, and the last is the app's state now.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.split(">")[0]).toBe(seen[i - 1]!.split(">")[1]);
    expect(seen.at(-1)!.endsWith(">down")).toBe(true);
    expect(seen.length).toBeLessThanOrEqual(1 + MAX_WAITING);
  });

  it("apps do not wait for each other; nothing starts after stop()", async () => {
    const f = fakeRunner();
    const h = new HookRunner(f.run, quiet);
    h.changed(SPEC, ev("UP", "RISING"));
    h.changed(SPEC, { ...ev("UP", "RISING"), app: "dns" });
    expect(f.runs).toHaveLength(2);
    h.changed(null, { ...ev("UP", "RISING"), app: "none" });
    h.stop();
    h.changed(SPEC, { ...ev("DOWN", "UP"), app: "other" });
    expect(f.runs).toHaveLength(2);
  });
});

describe("execute: a hook that never ends delays no check", () => {
  it("the app keeps being checked on time and its routes change while its first hook still runs", async () => {
    const r = loadAnnouncerConfig(
      "next_hop: self\ninterval: 1s\nfast_interval: 100ms\nrise: 1\nfall: 1\nexecute: [/bin/hook]\napps:\n  - { name: web, vip: 10.0.0.1/32, ports: [80] }\n",
      "/t/a.yaml",
    );
    if (!r.ok) throw new Error(r.error.join("\n"));
    const clock = new FakeClock();
    const f = fakeRunner();
    const out: string[] = [];
    let checks = 0;
    let health: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
    const ann = new Announcer({ ...r.value, ack: false }, {
      clock,
      random: () => 0,
      log: quiet,
      write: (l) => void out.push(...l),
      check: async () => (checks++, health),
      loopback: null,
      exit: () => {},
    });
    ann.observe(hookObserver(new HookRunner(f.run, quiet)));
    ann.load(r.value.apps);
    await clock.advance(10);
    expect(out).toEqual(["announce route 10.0.0.1/32 next-hop self community [12345:80]"]);
    expect(f.runs).toHaveLength(1); // INIT → UP, never answered
    health = { pass: false, disabled: false, results: [], reason: "refused" };
    await clock.advance(5000);
    expect(checks).toBe(6);
    expect(out.slice(1)).toEqual(["withdraw route 10.0.0.1/32 next-hop self"]);
    expect(f.runs).toHaveLength(1);
  });
});
