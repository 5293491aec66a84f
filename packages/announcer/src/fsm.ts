// Per-app health state machine, as ExaBGP's healthcheck has it:
//
//   INIT ──pass──▶ RISING ──rise passes──▶ UP ──fail──▶ FALLING ──fall fails──▶ DOWN
//     └───fail──▶ FALLING      ▲  └─fail─▶ FALLING        └─pass─▶ RISING       │
//                              └──────────────────────pass──────────────────────┘
//   any state ──maintenance──▶ DISABLED ──maintenance over──▶ (as INIT, with the result in hand)
//
// rise ≤ 1 skips RISING, fall ≤ 1 skips FALLING. Like ExaBGP's healthcheck,
// only UP, DOWN and DISABLED change what is announced: an app that was UP
// keeps its routes while FALLING (and RISING again after a single failure)
// until `fall` failures in a row take it DOWN. `serving` carries that, and
// `settled` the last of UP, DOWN, DISABLED reached: an app announced
// de-preferred while DOWN (on_down) stays so while RISING again, until UP.
//
// Pure: the caller owns the clock and feeds each check result to step().

export type StateName = "INIT" | "RISING" | "UP" | "FALLING" | "DOWN" | "DISABLED";
/** The states that decide what is announced. */
export type SettledName = "UP" | "DOWN" | "DISABLED";

export interface AppState {
  readonly name: StateName;
  /** Consecutive results in the current direction (RISING/FALLING). */
  readonly count: number;
  /** The last settled state was UP: the app's ports are announced. */
  readonly serving: boolean;
  /** The last settled state reached (null: none yet, since INIT). */
  readonly settled: SettledName | null;
  /** When `name` was entered (clock ms). */
  readonly since: number;
}

export interface Outcome {
  /** Every check passed. */
  readonly pass: boolean;
  /** A maintenance check says the app is disabled (the others were not run). */
  readonly disabled: boolean;
}

export interface FsmTimers {
  readonly interval: number;
  readonly fastInterval: number;
  readonly rise: number;
  readonly fall: number;
}

export interface Step {
  readonly state: AppState;
  /** When to check next (clock ms). */
  readonly nextCheckAt: number;
  /** `name` or `serving` changed. */
  readonly changed: boolean;
}

export function initialState(now: number): AppState {
  return { name: "INIT", count: 0, serving: false, settled: null, since: now };
}

/**
 * Checks start again from INIT (a reload changed them), counting rise and
 * fall afresh, but what is announced stays until the new checks settle: a
 * reload never withdraws a healthy app's VIP by itself.
 */
export function restartState(s: AppState, now: number): AppState {
  return { name: "INIT", count: 0, serving: s.serving, settled: s.settled, since: now };
}

/** When the first check runs: a random point in [now, now + splay). `random` is in [0, 1). */
export function firstCheckAt(now: number, splay: number, random: number): number {
  return now + Math.floor(Math.max(0, Math.min(random, 1)) * splay);
}

/** The state after one check result, and when to check next. */
export function step(s: AppState, o: Outcome, t: FsmTimers, now: number): Step {
  const next = transition(s, o, t);
  const changed = next.name !== s.name || next.serving !== s.serving || next.settled !== s.settled;
  const state: AppState = { ...next, since: next.name !== s.name ? now : s.since };
  const fast = state.name === "RISING" || state.name === "FALLING";
  return { state, nextCheckAt: now + (fast ? t.fastInterval : t.interval), changed };
}

type Next = Omit<AppState, "since">;

function transition(s: AppState, o: Outcome, t: FsmTimers): Next {
  if (o.disabled) return s.name === "DISABLED" ? s : { name: "DISABLED", count: 0, serving: false, settled: "DISABLED" };
  switch (s.name) {
    case "INIT":
    case "DISABLED":
      // ExaBGP's healthcheck goes DISABLED → INIT and waits a full interval;
      // the result in hand already says which way the app is going. (INIT
      // serves only after a restart of the checks of an app that was UP.)
      return o.pass ? rising(1, s, t) : falling(1, s, t);
    case "RISING":
      return o.pass ? rising(s.count + 1, s, t) : falling(1, s, t);
    case "FALLING":
      return o.pass ? rising(1, s, t) : falling(s.count + 1, s, t);
    case "UP":
      return o.pass ? s : falling(1, s, t);
    case "DOWN":
      return o.pass ? rising(1, s, t) : s;
  }
}

function rising(count: number, s: AppState, t: FsmTimers): Next {
  return count >= t.rise ? { name: "UP", count: 0, serving: true, settled: "UP" } : { name: "RISING", count, serving: s.serving, settled: s.settled };
}

function falling(count: number, s: AppState, t: FsmTimers): Next {
  return count >= t.fall ? { name: "DOWN", count: 0, serving: false, settled: "DOWN" } : { name: "FALLING", count, serving: s.serving, settled: s.settled };
}
