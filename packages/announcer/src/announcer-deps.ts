// What the Announcer is given: its effects (clock, output, checks, loopback,
// the ledger's store) and its settings. Tests give fakes of each.

import type { Logger } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import type { LedgerStore } from "./announced-ledger.js";
import type { AppCheckResult } from "./checks/index.js";
import type { Loopback } from "./loopback.js";
import type { Globals } from "./model.js";
import type { AppEntry } from "./registry.js";

export type ShutdownReason = "exabgp" | "eof" | "stdout" | "SIGTERM" | "SIGINT";

export interface AnnouncerDeps {
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  /** Write lines to ExaBGP (stdout), in order, flushed. */
  readonly write: (lines: readonly string[]) => void;
  readonly check: (entry: AppEntry) => Promise<AppCheckResult>;
  readonly loopback: Loopback | null;
  /** Kill what checks still run (exec process groups) at exit. */
  readonly stopChecks?: () => void;
  /** Where what ExaBGP may hold from us is kept for the next process (announced_file). */
  readonly announced?: LedgerStore;
  readonly exit: (code: number) => void;
}

export interface AnnouncerSettings extends Pick<Globals, "communityAsn" | "nextHop"> {
  /** Wait for ExaBGP's `done` before the next command. */
  readonly ack: boolean;
  /** At SIGTERM/SIGINT, announce every VIP draining this long before withdrawing. */
  readonly drainTime: number;
  /** Which ExaBGP API to speak (exabgp_api); default auto: learnt from ExaBGP. */
  readonly exabgpApi?: "auto" | 4 | 6;
}

export interface AnnouncerStats {
  checks: number;
  resends: number;
}
