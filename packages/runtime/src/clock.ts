// Time, as both programs read it: a monotonic `now()` in milliseconds and
// timers. Everything that waits takes a Clock, so tests move time by hand
// (fake-clock.ts) instead of sleeping.

export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds on a monotonic clock (performance.now() for the real one). */
  now(): number;
  /** Run `fn` once after `ms`. `background`: the timer alone does not keep the process alive. */
  setTimeout(fn: () => void, ms: number, opts?: { readonly background?: boolean }): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms, opts) => {
    const t = setTimeout(fn, ms);
    if (opts?.background) t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
};

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** A clock reading → wall time as ISO text, given both clocks now. */
export function isoFrom(clock: Clock, wallNow: () => number = Date.now): (clockMs: number) => string {
  return (t) => new Date(wallNow() - (clock.now() - t)).toISOString();
}
