// Check latency quantiles in constant memory: log-spaced buckets 2% wide
// from 1 µs to ~100 s, so p50/p99 are within 2% whatever the count.

const MIN_MS = 0.001;
const GROWTH = 1.02;
const BUCKETS = Math.ceil(Math.log(100_000 / MIN_MS) / Math.log(GROWTH)) + 1;

export class LatencySketch {
  private readonly counts = new Uint32Array(BUCKETS);
  private n = 0;
  private max = 0;

  record(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
    this.counts[i]!++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }

  /** The q-quantile (0..1) in ms: the upper edge of its bucket (never above the maximum seen). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** i);
    }
    return this.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.max = 0;
  }
}
