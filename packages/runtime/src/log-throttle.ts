// Log lines for things that repeat. A broken outside world (a full disk, a
// read-only folder, a missing check command, Consul down) fails again on
// every attempt, and bad input can come in floods: a line for each would
// bury the log ExaBGP keeps for us. One throttle for both programs:
//
// - failed(): the first failure of a cause is logged, the same cause again
//   only as a reminder with a count at most once per window, a new cause at
//   once; succeeded() logs the first success after failures as a recovery.
// - often(): an event that may flood (a malformed line) is logged at most
//   `burst` times per window, then once with the count of those not logged.

import type { Logger, LogFields, LogLevel } from "@exacast/core";
import type { Clock } from "./clock.js";

export const REMIND_EVERY_MS = 60_000;

/**
 * What identifies a cause in an error message: the names of temporary files
 * and the numbers in it (pids, sizes, line numbers of a checker's output)
 * change on every attempt while the cause stays the same.
 */
export function causeOf(kind: string, message: string): string {
  return `${kind}: ${message.replace(/\.exacast-\d+-\d+\.tmp/g, ".tmp").replace(/\d+/g, "#")}`;
}

export interface ThrottleOptions {
  /** The window: reminders and flood counts at most this often. */
  readonly windowMs?: number;
  /** often(): lines logged per window. */
  readonly burst?: number;
}

export class LogThrottle {
  private current: { cause: string; first: number; lastLogged: number; failures: number } | undefined;
  private flood: { start: number; logged: number; suppressed: number } | undefined;
  private readonly windowMs: number;
  private readonly burst: number;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    opts: ThrottleOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? REMIND_EVERY_MS;
    this.burst = opts.burst ?? 1;
  }

  /** Failures since the last success (0 when the last attempt succeeded). */
  get failures(): number {
    return this.current?.failures ?? 0;
  }

  /** An attempt failed for `cause` (see causeOf): `event` is logged as an error, or counted. */
  failed(event: string, cause: string, fields: LogFields): void {
    const now = this.clock.now();
    const c = this.current;
    if (c === undefined || c.cause !== cause) {
      this.current = { cause, first: now, lastLogged: now, failures: 1 };
      this.log.error(event, fields);
      return;
    }
    c.failures++;
    if (now - c.lastLogged < this.windowMs) return;
    c.lastLogged = now;
    this.log.error(event, { ...fields, still_failing: true, failures: c.failures, since_ms: Math.round(now - c.first) });
  }

  /** An attempt worked: when it ends a failure, `event` is logged with the count, the time and the cause. */
  succeeded(event: string, fields: LogFields): void {
    const c = this.current;
    this.current = undefined;
    if (c) this.log.info(event, { ...fields, failures: c.failures, after_ms: Math.round(this.clock.now() - c.first), cause: c.cause });
  }

  /** An event that may flood: at most `burst` a window, then `countEvent` with how many were not logged. */
  often(level: LogLevel, event: string, fields: LogFields, countEvent: string): void {
    const now = this.clock.now();
    if (this.flood === undefined || now - this.flood.start >= this.windowMs) {
      if (this.flood && this.flood.suppressed > 0) this.log.warn(countEvent, { count: this.flood.suppressed });
      this.flood = { start: now, logged: 0, suppressed: 0 };
    }
    if (this.flood.logged++ < this.burst) this.log[level](event, fields);
    else this.flood.suppressed++;
  }
}
