// Fuzzers run for a time budget, not a fixed count: on a loaded machine they
// do fewer runs instead of timing out, and EXACAST_FUZZ_SECONDS=120 turns any
// of them into a long session. Each still asserts a minimum of runs done, so
// a budget too small to prove anything fails loudly instead of passing. The
// minimums are a tenth of what an idle 2-core machine does, so a loaded one
// (CI beside other jobs) still meets them.

/** Each fuzzer's budget, milliseconds. */
export const BUDGET_MS = Number(process.env.EXACAST_FUZZ_SECONDS ?? 4) * 1000;

/** fast-check parameters: runs until `maxRuns` or the budget (`share` of it), whichever comes first. */
export function timed(maxRuns: number, share = 1): { numRuns: number; interruptAfterTimeLimit: number; markInterruptAsFailure: false } {
  return { numRuns: maxRuns, interruptAfterTimeLimit: Math.round(BUDGET_MS * share), markInterruptAsFailure: false };
}

/** A loop's budget: go on while under `max` iterations and within the time. */
export class Budget {
  count = 0;
  private readonly end: number;

  constructor(
    private readonly max: number,
    share = 1,
  ) {
    this.end = performance.now() + BUDGET_MS * share;
  }

  /** Counts one more iteration, or says the budget is spent. Checks the time every 16 iterations (one can be slow: huge values). */
  more(): boolean {
    if (this.count >= this.max || ((this.count & 15) === 0 && this.count > 0 && performance.now() > this.end)) return false;
    this.count++;
    return true;
  }
}
