// A render that failed for a reason outside the template (a write, a check,
// a reload, the state file) is tried again on its own, after a back-off
// (1 s, 2 s, 4 s… at most a minute), not only when some route changes: a
// folder made writable again, a disk with room again, a check that passes
// again get the file installed without waiting for the next change.

import type { Clock, TimerHandle } from "@exacast/runtime";
import { Backoff } from "@exacast/runtime";
import type { RenderResult } from "./render-job.js";

export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 60_000;

/** Results worth trying again with the same routes (a template error is not: same data, same error). */
export const retriable = (r: RenderResult | undefined): boolean => r === "write_failed" || r === "check_failed" || r === "reload_failed";

export class RenderRetry {
  private readonly backoff = new Backoff(RETRY_FIRST_MS, RETRY_MAX_MS);
  private timer: TimerHandle;

  constructor(
    private readonly clock: Clock,
    private readonly again: () => void,
  ) {}

  /** After a render cycle: when something failed, render again after the back-off. */
  after(failed: boolean): void {
    if (!failed) {
      this.backoff.reset();
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.again();
    }, this.backoff.next());
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
