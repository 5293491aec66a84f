// Whether a failure deserves a log line. A broken outside world (a full disk,
// a read-only folder, a missing check command, a template that throws on some
// data) fails again on every change: logging each attempt would flood the log
// that ExaBGP keeps for us with one message. So: the first failure of a cause
// is logged, the same cause again only as a reminder with a count at most once
// per `remindEveryMs`, a new cause at once, and the first success after
// failures as a recovery. Pure: the caller passes the clock and logs.

export type FailureVerdict =
  | { readonly log: "first" }
  | { readonly log: "reminder"; readonly failures: number; readonly sinceMs: number }
  | { readonly log: "none" };

export interface Recovery {
  readonly cause: string;
  readonly failures: number;
  readonly afterMs: number;
}

export const REMIND_EVERY_MS = 60_000;

/**
 * What identifies a cause in an error message: the names of temporary files
 * and the numbers in it (pids, sizes, line numbers of a checker's output)
 * change on every attempt while the cause stays the same.
 */
export function causeOf(kind: string, message: string): string {
  return `${kind}: ${message.replace(/\.exacast-\d+-\d+\.tmp/g, ".tmp").replace(/\d+/g, "#")}`;
}

export class FailureLog {
  private current: { cause: string; first: number; lastLogged: number; failures: number } | undefined;

  constructor(private readonly remindEveryMs = REMIND_EVERY_MS) {}

  /** Failures since the last success (0 when the last attempt succeeded). */
  get failures(): number {
    return this.current?.failures ?? 0;
  }

  failed(cause: string, now: number): FailureVerdict {
    const c = this.current;
    if (c === undefined || c.cause !== cause) {
      this.current = { cause, first: now, lastLogged: now, failures: 1 };
      return { log: "first" };
    }
    c.failures++;
    if (now - c.lastLogged < this.remindEveryMs) return { log: "none" };
    c.lastLogged = now;
    return { log: "reminder", failures: c.failures, sinceMs: now - c.first };
  }

  /** An attempt worked: the failure it ends, if there was one. */
  succeeded(now: number): Recovery | undefined {
    const c = this.current;
    this.current = undefined;
    return c && { cause: c.cause, failures: c.failures, afterMs: now - c.first };
  }
}
