// When to render, template by template: templates with their own `wait`
// each have a lane of their own, every other template (and the state file)
// shares the default lane timed by debounce and max_wait. Each lane is a
// Debouncer; a change pends in every lane at once; the caller arms one timer
// for deadline() and renders the lanes take() hands back. Pure: the caller
// passes the clock's readings.
//
// A gate can hold every lane (--once: until the table is complete): while it
// is shut nothing is taken; notBefore() says until when, or Infinity for
// "until something happens" (the next change re-arms the timer).

import { Debouncer } from "./debounce.js";

export const DEFAULT_LANE = "";

export interface LaneTimings {
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly startupWaitMs: number;
}

export interface RenderGate {
  /** undefined: open now; a time: shut until then; Infinity: shut until something changes. */
  notBefore(now: number): number | undefined;
}

export class RenderLanes {
  private lanes = new Map<string, Debouncer>();

  constructor(timings: ReadonlyMap<string, LaneTimings>) {
    this.setLanes(timings);
  }

  /** The lanes and their timings (start, SIGHUP). Lanes kept keep their pending changes. */
  setLanes(timings: ReadonlyMap<string, LaneTimings>): void {
    const next = new Map<string, Debouncer>();
    for (const [key, t] of timings) {
      const d = this.lanes.get(key) ?? new Debouncer(t.debounceMs, t.maxWaitMs, t.startupWaitMs);
      d.setTimings(t.debounceMs, t.maxWaitMs, t.startupWaitMs);
      next.set(key, d);
    }
    this.lanes = next;
  }

  get keys(): string[] {
    return [...this.lanes.keys()];
  }

  change(now: number): void {
    for (const d of this.lanes.values()) d.change(now);
  }

  /** The earliest time a lane is due, held back by the gate; undefined: nothing to arm. */
  deadline(now: number, gate?: RenderGate): number | undefined {
    let at: number | undefined;
    for (const d of this.lanes.values()) {
      const t = d.deadline();
      if (t !== undefined && (at === undefined || t < at)) at = t;
    }
    if (at === undefined) return undefined;
    const hold = gate?.notBefore(now);
    if (hold === Infinity) return undefined;
    return hold === undefined ? at : Math.max(at, hold);
  }

  /**
   * The lanes due at `now`, now marked running. `force`: every lane with a
   * pending change (EOF, --once), gate or not. `all`: when one is due, take
   * every pending lane with it.
   */
  take(now: number, opts: { force?: boolean; gate?: RenderGate; all?: boolean } = {}): string[] {
    if (!opts.force && opts.gate?.notBefore(now) !== undefined) return [];
    const due = [...this.lanes].filter(([, d]) => {
      const t = d.deadline();
      return t !== undefined && (opts.force || now >= t);
    });
    if (due.length === 0) return [];
    const taken = opts.all ? [...this.lanes].filter(([, d]) => d.deadline() !== undefined) : due;
    for (const [, d] of taken) d.take(now, true);
    return taken.map(([k]) => k);
  }

  /** The render of these lanes, started by take(), is over. */
  finish(keys: readonly string[]): void {
    for (const k of keys) this.lanes.get(k)?.finish();
  }
}

/** The lane a template renders in: its own when it has a `wait`. */
export const laneOf = (spec: { readonly name: string; readonly wait?: unknown }): string => (spec.wait ? spec.name : DEFAULT_LANE);

/**
 * Every lane's timings: the default lane from debounce/max_wait, a template's
 * own from its wait (startup_wait still holds its first render, as for all).
 */
export function laneTimings(c: {
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly startupWaitMs: number;
  readonly templates: readonly { readonly name: string; readonly wait?: { readonly minMs: number; readonly maxMs: number } | undefined }[];
}): Map<string, LaneTimings> {
  const lanes = new Map<string, LaneTimings>([[DEFAULT_LANE, { debounceMs: c.debounceMs, maxWaitMs: c.maxWaitMs, startupWaitMs: c.startupWaitMs }]]);
  for (const t of c.templates) {
    if (t.wait) lanes.set(t.name, { debounceMs: t.wait.minMs, maxWaitMs: t.wait.maxMs, startupWaitMs: Math.max(c.startupWaitMs, t.wait.maxMs) });
  }
  return lanes;
}
