// One Consul blocking-query loop, for every endpoint discovery watches, as
// consul-template's watch/view.go runs them:
//
// - the first query answers at once (no index); each next one blocks on the
//   X-Consul-Index of the last answer, so it returns as soon as the data may
//   have changed, or after `wait`;
// - an answer with the same index is not new data (the wait ran out);
// - an index that went backwards (a snapshot restore, another server's stale
//   read) resets the loop: the next query answers at once (Consul's docs:
//   "reset the index to 0"); an index of 0 blocks on 1 ("never below 1");
// - answers that come back faster than 100 ms are spaced to 100 ms plus up
//   to 20 ms of dither, so a misbehaving index can never make a busy loop;
// - a failure is retried after `retry`, doubling up to 8 × `retry` (when
//   the caller says it should back off), with jitter so many hosts do not
//   come back in step; a success resets that.
//
// The decisions are pure functions of the loop's state (tested on their
// own); BlockingWatch is the thin loop around them, its time taken from a
// Clock so tests run it on a fake clock.

import type { Clock } from "@exacast/runtime";

export interface WatchState {
  /** The next query's index; null: answer at once. */
  readonly index: string | null;
  /** Consecutive failures. */
  readonly failures: number;
  /** An answer was handed on already (the first query is not rate limited). */
  readonly answered: boolean;
}

export const INITIAL: WatchState = { index: null, failures: 0, answered: false };

export const MIN_QUERY_SPACING_MS = 100;
const DITHER_MS = 20;
const MAX_BACKOFF_FACTOR = 8;

export interface AnswerStep {
  readonly state: WatchState;
  /** New data (or data whose freshness cannot be told): hand it on. */
  readonly fresh: boolean;
  /** Wait this long before the next query. */
  readonly delayMs: number;
  /** The index went backwards: the loop was reset. */
  readonly reset: boolean;
}

const INDEX = /^\d{1,20}$/;

/** What to do with an answer carrying `got` (X-Consul-Index) that took `elapsedMs`. `random` is in [0, 1). */
export function afterAnswer(s: WatchState, got: string | null, elapsedMs: number, retryMs: number, random: number): AnswerStep {
  const spacing = s.answered && elapsedMs < MIN_QUERY_SPACING_MS ? MIN_QUERY_SPACING_MS - elapsedMs + random * DITHER_MS : 0;
  const ok = { failures: 0, answered: true };
  if (got === null || !INDEX.test(got)) {
    // No index (a proxy stripped it, or an endpoint that cannot block): poll every `retry`.
    return { state: { ...ok, index: null }, fresh: true, delayMs: Math.max(retryMs, spacing), reset: false };
  }
  const g = BigInt(got);
  if (s.index !== null && g < BigInt(s.index)) {
    return { state: { ...ok, index: null }, fresh: false, delayMs: spacing, reset: true };
  }
  const next = g < 1n ? "1" : g.toString();
  const fresh = s.index === null || next !== s.index;
  return { state: { ...ok, index: next }, fresh, delayMs: spacing, reset: false };
}

/**
 * After a failure: query at once next time (a blocking query would hide that
 * Consul is back), after a back-off. `grow` false keeps the delay at `retry`:
 * for the local agent not answering at all, where asking costs the cluster
 * nothing and an agent back from a restart is seen within `retry`.
 */
export function afterFailure(s: WatchState, retryMs: number, random: number, grow = true): { state: WatchState; delayMs: number } {
  const failures = s.failures + 1;
  const base = grow ? Math.min(retryMs * 2 ** Math.min(failures - 1, 30), retryMs * MAX_BACKOFF_FACTOR) : retryMs;
  return { state: { ...s, index: null, failures }, delayMs: Math.round(base * (0.75 + 0.25 * random)) };
}

export interface WatchQuery {
  readonly index: string | null;
  readonly waitMs: number;
}

export interface WatchSpec<A extends { readonly index: string | null }> {
  readonly fetch: (q: WatchQuery) => Promise<A>;
  /** An answer: `fresh` when its index moved (new data). Throwing makes it a failure. */
  readonly onAnswer: (answer: A, fresh: boolean) => void | Promise<void>;
  readonly onFailure: (error: unknown) => void;
  /** Whether this failure makes the next wait longer (default: every failure does). */
  readonly backsOff?: (error: unknown) => boolean;
  /** The index went backwards and the loop starts over. */
  readonly onReset?: (from: string, to: string) => void;
}

export interface WatchOptions {
  readonly waitMs: number;
  /** First retry after a failure; doubles up to 8×. */
  readonly retryMs: number;
  readonly clock: Clock;
  readonly random?: () => number;
}

export class BlockingWatch<A extends { readonly index: string | null }> {
  private state = INITIAL;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly halted: Promise<null>;
  private halt: () => void = () => {};
  /** Queries sent so far (tests and status). */
  queries = 0;

  constructor(
    private readonly spec: WatchSpec<A>,
    private readonly opts: WatchOptions,
  ) {
    this.halted = new Promise((resolve) => (this.halt = () => resolve(null)));
  }

  get current(): WatchState {
    return this.state;
  }

  /** Runs until stop(); resolves then. */
  async run(): Promise<void> {
    const random = this.opts.random ?? Math.random;
    while (!this.stopped) {
      const started = this.opts.clock.now();
      let delay: number;
      try {
        this.queries++;
        // stop() ends the loop at once, whatever the query in flight does.
        const a = await Promise.race([this.spec.fetch({ index: this.state.index, waitMs: this.opts.waitMs }), this.halted]);
        if (a === null || this.stopped) return;
        const from = this.state.index;
        const step = afterAnswer(this.state, a.index, this.opts.clock.now() - started, this.opts.retryMs, random());
        this.state = step.state;
        if (step.reset) this.spec.onReset?.(from ?? "", a.index ?? "");
        else await this.spec.onAnswer(a, step.fresh);
        delay = step.delayMs;
      } catch (e) {
        if (this.stopped) return;
        const step = afterFailure(this.state, this.opts.retryMs, random(), this.spec.backsOff?.(e) ?? true);
        this.state = step.state;
        this.spec.onFailure(e);
        delay = step.delayMs;
      }
      if (delay > 0) await this.sleep(delay);
    }
  }

  stop(): void {
    this.stopped = true;
    this.halt();
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const handle = this.opts.clock.setTimeout(() => done(), ms);
      const done = () => {
        this.opts.clock.clearTimeout(handle);
        this.wake = null;
        resolve();
      };
      this.wake = done;
    });
  }
}
