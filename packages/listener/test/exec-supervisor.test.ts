// The exec: child's state machine, step by step: each transition is a value,
// so what the listener does to its child in every state is checked without a
// process or a clock.

import { describe, expect, it } from "vitest";
import type { SupervisorEvent, SupervisorOptions, SupervisorState } from "../src/exec-supervisor.js";
import { INITIAL, RESTART_MAX_MS, restartDelay, STABLE_MS, step } from "../src/exec-supervisor.js";

const HUP: SupervisorOptions = { reloadSignal: "SIGHUP", killSignal: "SIGTERM", killTimeoutMs: 5000 };
const RESTART: SupervisorOptions = { ...HUP, reloadSignal: undefined };

/** Run events at times; the states and the actions other than logs. */
function run(opts: SupervisorOptions, events: [number, SupervisorEvent["kind"], string?][], from: SupervisorState = INITIAL) {
  let state = from;
  const trail: { state: string; actions: string[] }[] = [];
  for (const [at, kind, status] of events) {
    const ev = (kind === "exited" ? { kind, status: status ?? "exit 1" } : { kind }) as SupervisorEvent;
    const s = step(state, ev, at, opts);
    state = s.state;
    trail.push({
      state: s.state.kind,
      actions: s.actions.filter((a) => a.kind !== "log").map((a) => (a.kind === "signal" ? `signal ${a.signal}` : a.kind === "timer" ? `timer ${a.name} ${a.ms}` : a.kind === "cancel" ? `cancel ${a.name}` : a.kind)),
    });
  }
  return { state, trail };
}

describe("exec supervisor", () => {
  it("waits for the files, starts once, signals on change, ignores a second ready", () => {
    const { trail } = run(HUP, [
      [0, "changed"],
      [10, "ready"],
      [20, "ready"],
      [30, "changed"],
    ]);
    expect(trail).toEqual([
      { state: "waiting", actions: [] },
      { state: "running", actions: ["spawn"] },
      { state: "running", actions: [] },
      { state: "running", actions: ["signal SIGHUP"] },
    ]);
  });

  it("deaths in a row back off, doubling up to the cap; a child that ran STABLE_MS starts over at the first delay", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(restartDelay)).toEqual([1000, 2000, 4000, 8000, 16_000, RESTART_MAX_MS, RESTART_MAX_MS]);
    const { trail } = run(HUP, [
      [0, "ready"],
      [100, "exited"],
      [1100, "backoff_over"],
      [1200, "exited"],
      [3200, "backoff_over"],
      [3200 + STABLE_MS, "exited"],
    ]);
    expect(trail.map((t) => t.actions.join(","))).toEqual(["spawn", "timer backoff 1000", "spawn", "timer backoff 2000", "spawn", "timer backoff 1000"]);
  });

  it("files changed while it is down: nothing to signal, it starts on the new files", () => {
    const { trail } = run(HUP, [
      [0, "ready"],
      [1, "exited"],
      [2, "changed"],
      [1001, "backoff_over"],
    ]);
    expect(trail.map((t) => t.actions.join(","))).toEqual(["spawn", "timer backoff 1000", "", "spawn"]);
  });

  it("no reload_signal: files changed → kill_signal, and a new child as soon as the old one exits", () => {
    const { trail } = run(RESTART, [
      [0, "ready"],
      [10, "changed"],
      [20, "changed"],
      [30, "exited"],
    ]);
    expect(trail).toEqual([
      { state: "running", actions: ["spawn"] },
      { state: "restarting", actions: ["signal SIGTERM", "timer kill 5000"] },
      { state: "restarting", actions: [] },
      { state: "running", actions: ["cancel kill", "spawn"] },
    ]);
  });

  it("stop from every state ends with the child gone: kill_signal, SIGKILL at kill_timeout, stopped at its exit", () => {
    expect(run(HUP, [[0, "stop"]]).trail).toEqual([{ state: "stopped", actions: ["stopped"] }]);
    expect(
      run(HUP, [
        [0, "ready"],
        [1, "stop"],
        [5001, "kill_timeout"],
        [5002, "exited"],
        [5003, "stop"],
      ]).trail,
    ).toEqual([
      { state: "running", actions: ["spawn"] },
      { state: "stopping", actions: ["signal SIGTERM", "timer kill 5000"] },
      { state: "stopping", actions: ["kill"] },
      { state: "stopped", actions: ["cancel kill", "stopped"] },
      { state: "stopped", actions: [] },
    ]);
    expect(
      run(HUP, [
        [0, "ready"],
        [1, "exited"],
        [2, "stop"],
        [1001, "backoff_over"],
      ]).trail.slice(2),
    ).toEqual([
      { state: "stopped", actions: ["cancel backoff", "stopped"] },
      { state: "stopped", actions: [] },
    ]);
    // Stopped while restarting: the kill already on its way finishes the job; no new child.
    expect(
      run(RESTART, [
        [0, "ready"],
        [1, "changed"],
        [2, "stop"],
        [3, "exited"],
      ]).trail.slice(2),
    ).toEqual([
      { state: "stopping", actions: [] },
      { state: "stopped", actions: ["cancel kill", "stopped"] },
    ]);
  });

  it("no event is lost or fatal in any state", () => {
    const states: SupervisorState[] = [
      { kind: "waiting" },
      { kind: "running", since: 0, deaths: 0 },
      { kind: "restarting", deaths: 0 },
      { kind: "backoff", until: 10, deaths: 1 },
      { kind: "stopping" },
      { kind: "stopped" },
    ];
    const events: SupervisorEvent[] = [{ kind: "ready" }, { kind: "changed" }, { kind: "exited", status: "exit 0" }, { kind: "backoff_over" }, { kind: "kill_timeout" }, { kind: "stop" }];
    for (const s of states) for (const e of events) for (const o of [HUP, RESTART]) expect(() => step(s, e, 5, o)).not.toThrow();
    // Once stopped, nothing starts it again.
    for (const e of events) expect(step({ kind: "stopped" }, e, 5, HUP).actions).toEqual([]);
  });
});
