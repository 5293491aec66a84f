// A delay that grows with each failure in a row (doubling from `firstMs`, at
// most `maxMs`) and starts over after a success: binds retried, failed writes
// retried, peers asked again. Pure.

export class Backoff {
  private failures = 0;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {}

  /** One more failure: how long to wait before the next try. */
  next(): number {
    const ms = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return ms;
  }

  /** Failures in a row so far. */
  get count(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
