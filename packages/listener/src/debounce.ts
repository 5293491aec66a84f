// When to render: once no change came for `debounce`, but never later than
// `maxWait` after the first pending change; one render at a time, changes that
// arrive during a render wait for the next. A pure state machine: the caller
// passes the clock and arms a timer for deadline().

export class Debouncer {
  private first: number | undefined;
  private last: number | undefined;
  private running = false;

  constructor(
    private debounceMs: number,
    private maxWaitMs: number,
  ) {}

  /** New timings (SIGHUP); what is pending keeps its change times. */
  setTimings(debounceMs: number, maxWaitMs: number): void {
    this.debounceMs = debounceMs;
    this.maxWaitMs = maxWaitMs;
  }

  /** Something changed at `now`. */
  change(now: number): void {
    if (this.first === undefined) this.first = now;
    this.last = now;
  }

  get pending(): boolean {
    return this.first !== undefined;
  }

  get busy(): boolean {
    return this.running;
  }

  /** When a render is due, or undefined when nothing is pending or one is running. */
  deadline(): number | undefined {
    if (this.running || this.first === undefined) return undefined;
    return Math.min(this.last! + this.debounceMs, this.first + this.maxWaitMs);
  }

  /** Start a render if one is due at `now` (or at once with `force`, e.g. at EOF). */
  take(now: number, force = false): boolean {
    const d = this.deadline();
    if (d === undefined || (!force && now < d)) return false;
    this.first = this.last = undefined;
    this.running = true;
    return true;
  }

  /** The render started by take() finished. */
  finish(): void {
    this.running = false;
  }
}
