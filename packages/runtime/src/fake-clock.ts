// A clock tests move by hand. Callbacks run in due order; between them the
// microtask queue is drained, so async code awaiting fakes progresses as it
// would between real timer ticks. Shipped beside the real clock so every
// package's tests (and benchmarks) use the same one.

import type { Clock, TimerHandle } from "./clock.js";

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    this.pending.push(p);
    return p.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  /** Timers armed and not yet run. */
  get timers(): number {
    return this.pending.length;
  }

  /** Move time forward by `ms`, running every callback that falls due. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = end;
  }

  /** Advance in steps of `stepMs` until `probe` holds; fails after `maxMs` of fake time. */
  async until(probe: () => boolean, maxMs: number, stepMs = 1): Promise<void> {
    for (let spent = 0; !probe(); spent += stepMs) {
      if (spent >= maxMs) throw new Error(`not reached within ${maxMs} ms of fake time`);
      await this.advance(stepMs);
    }
  }
}

/** Let promise chains that are already resolvable run to completion (every microtask queued runs before an immediate). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
