// The exec child's life as a pure state machine: an event and the clock's
// reading in, the next state and what to do out (spawn, signal, timers,
// logs). The shell (exec-child.ts) does the actions and feeds back the
// events. Unlike ExaBGP's healthcheck FSM, every transition is a value a test
// can check on a fake clock, and no event is lost in any state.
//
// A child that dies is started again after a back-off that doubles with each
// death in a row (RESTART_FIRST_MS … RESTART_MAX_MS); one that ran for
// STABLE_MS counts as healthy again. Whatever state it is in, stop() ends
// with the child gone: kill_signal, then SIGKILL to its group after
// kill_timeout.

export const RESTART_FIRST_MS = 1000;
export const RESTART_MAX_MS = 30_000;
export const STABLE_MS = 10_000;

export interface SupervisorOptions {
  /** undefined: restart the child when files changed. */
  readonly reloadSignal: NodeJS.Signals | undefined;
  readonly killSignal: NodeJS.Signals;
  readonly killTimeoutMs: number;
}

export type SupervisorState =
  /** Before the files were first rendered: the child would read missing files. */
  | { readonly kind: "waiting" }
  | { readonly kind: "running"; readonly since: number; readonly deaths: number }
  /** Killed to be started again (files changed, no reload_signal). */
  | { readonly kind: "restarting"; readonly deaths: number }
  | { readonly kind: "backoff"; readonly until: number; readonly deaths: number }
  | { readonly kind: "stopping" }
  | { readonly kind: "stopped" };

export type SupervisorEvent =
  | { readonly kind: "ready" }
  | { readonly kind: "changed" }
  | { readonly kind: "exited"; readonly status: string }
  | { readonly kind: "backoff_over" }
  | { readonly kind: "kill_timeout" }
  | { readonly kind: "stop" };

export type TimerName = "backoff" | "kill";

export type SupervisorAction =
  | { readonly kind: "spawn" }
  | { readonly kind: "signal"; readonly signal: NodeJS.Signals }
  /** SIGKILL to the child's process group. */
  | { readonly kind: "kill" }
  | { readonly kind: "timer"; readonly name: TimerName; readonly ms: number }
  | { readonly kind: "cancel"; readonly name: TimerName }
  | { readonly kind: "log"; readonly level: "info" | "warn"; readonly event: string; readonly fields: Record<string, string | number> }
  /** The child is gone for good (after stop). */
  | { readonly kind: "stopped" };

export interface Step {
  readonly state: SupervisorState;
  readonly actions: readonly SupervisorAction[];
}

export const INITIAL: SupervisorState = { kind: "waiting" };

export function restartDelay(deaths: number): number {
  return Math.min(RESTART_FIRST_MS * 2 ** Math.max(0, deaths - 1), RESTART_MAX_MS);
}

const log = (level: "info" | "warn", event: string, fields: Record<string, string | number> = {}): SupervisorAction => ({ kind: "log", level, event, fields });

function start(now: number, deaths: number): Step {
  return { state: { kind: "running", since: now, deaths }, actions: [{ kind: "spawn" }] };
}

function kill(opts: SupervisorOptions, then: SupervisorState): Step {
  return {
    state: then,
    actions: [
      { kind: "signal", signal: opts.killSignal },
      { kind: "timer", name: "kill", ms: opts.killTimeoutMs },
    ],
  };
}

export function step(state: SupervisorState, event: SupervisorEvent, now: number, opts: SupervisorOptions): Step {
  const same: Step = { state, actions: [] };
  switch (event.kind) {
    case "ready":
      return state.kind === "waiting" ? start(now, 0) : same;
    case "changed":
      if (state.kind !== "running") return same; // not started yet, or starting again: it reads the new files
      if (opts.reloadSignal) return { state, actions: [{ kind: "signal", signal: opts.reloadSignal }, log("info", "exec_signaled", { signal: opts.reloadSignal })] };
      {
        const k = kill(opts, { kind: "restarting", deaths: state.deaths });
        return { state: k.state, actions: [log("info", "exec_restarting", { why: "files changed", signal: opts.killSignal }), ...k.actions] };
      }
    case "exited":
      switch (state.kind) {
        case "running": {
          const deaths = now - state.since >= STABLE_MS ? 1 : state.deaths + 1;
          const ms = restartDelay(deaths);
          return {
            state: { kind: "backoff", until: now + ms, deaths },
            actions: [log("warn", "exec_died", { status: event.status, restart_in_ms: ms, deaths_in_a_row: deaths }), { kind: "timer", name: "backoff", ms }],
          };
        }
        case "restarting": {
          const s = start(now, state.deaths);
          return { state: s.state, actions: [{ kind: "cancel", name: "kill" }, ...s.actions] };
        }
        case "stopping":
          return { state: { kind: "stopped" }, actions: [{ kind: "cancel", name: "kill" }, log("info", "exec_stopped", { status: event.status }), { kind: "stopped" }] };
        default:
          return same;
      }
    case "backoff_over":
      return state.kind === "backoff" ? start(now, state.deaths) : same;
    case "kill_timeout":
      if (state.kind !== "restarting" && state.kind !== "stopping") return same;
      return { state, actions: [log("warn", "exec_killed", { why: `no exit within kill_timeout (${opts.killTimeoutMs} ms)` }), { kind: "kill" }] };
    case "stop":
      switch (state.kind) {
        case "running":
          return kill(opts, { kind: "stopping" });
        case "restarting":
          return { state: { kind: "stopping" }, actions: [] }; // the kill is on its way, its timer armed
        case "backoff":
          return { state: { kind: "stopped" }, actions: [{ kind: "cancel", name: "backoff" }, { kind: "stopped" }] };
        case "waiting":
          return { state: { kind: "stopped" }, actions: [{ kind: "stopped" }] };
        default:
          return same;
      }
  }
}
