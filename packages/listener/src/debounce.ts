// When to render: once no change came for `debounce`, but never later than
// `maxWait` after the first pending change; one render at a time, changes that
// arrive during a render wait for the next. A pure state machine: the caller
// passes the clock and arms a timer for deadline().
//
// Until the first render, `startupWait` stands in for `maxWait`: a listener
// (re)started beside a peer with a big table learns its routes over seconds,
// and a render every `maxWait` meanwhile would install partial files (HAProxy
// losing backends it had a moment ago). The first render waits for the flood
// to go quiet for `debounce` (an End-of-RIB counts as a change), or at most
// `startupWait`.

export class Debouncer {
  private first: number | undefined;
  private last: number | undefined;
  private running = false;
  private rendered = false;

  constructor(
    private debounceMs: number,
    private maxWaitMs: number,
    private startupWaitMs = maxWaitMs,
  ) {}

  /** New timings (SIGHUP); what is pending keeps its change times. */
  setTimings(debounceMs: number, maxWaitMs: number, startupWaitMs = maxWaitMs): void {
    this.debounceMs = debounceMs;
    this.maxWaitMs = maxWaitMs;
    this.startupWaitMs = startupWaitMs;
  }

  /** Something changed at `now`. */
  change(now: number): void {
    if (this.first === undefined) this.first = now;
    this.last = now;
  }

  /** When a render is due, or undefined when nothing is pending or one is running. */
  deadline(): number | undefined {
    if (this.running || this.first === undefined) return undefined;
    return Math.min(this.last! + this.debounceMs, this.first + (this.rendered ? this.maxWaitMs : this.startupWaitMs));
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
    this.rendered = true;
  }
}
