// Waiting for conditions, bounded in time: tests wait for what they expect to
// happen, polling a cheap probe, never for a fixed sleep.

export interface WaitOptions {
  timeout?: number;
  interval?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

export async function waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: WaitOptions = {}): Promise<T> {
  const { timeout = 15_000, interval = 50, what = "condition" } = opts;
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
