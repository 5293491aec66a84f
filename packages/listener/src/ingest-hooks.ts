// What the daemon does with what ExaBGP tells it besides routes: session
// events (their times, the --once gate, the table keeper), stale periods
// (their timers), routes refused at max_routes, End-of-RIB, and the logs of
// lines skipped or not understood.

import type { Logger } from "@exacast/core";
import type { Clock, LogThrottle } from "@exacast/runtime";
import type { IngestHooks } from "./ingest.js";
import type { NeighborTimes } from "./neighbor-times.js";
import type { OnceGate } from "./once.js";
import type { StaleTimers } from "./stale-timers.js";
import type { TableKeeper } from "./table-keeper.js";

export interface HookContext {
  readonly log: Logger;
  readonly clock: Clock;
  readonly rejects: LogThrottle;
  readonly times: NeighborTimes;
  readonly keeper: () => TableKeeper;
  readonly staleTimers: () => StaleTimers;
  readonly gate: () => OnceGate | undefined;
  /** Something changed that may need a render. */
  readonly changed: () => void;
}

export function ingestHooks(x: HookContext): IngestHooks {
  const { log } = x;
  return {
    rejected: (lineNo, reason, error) => x.rejects.often("warn", "line_skipped", { line: lineNo, reason, error }, "lines_not_logged"),
    state: (neighbor, state, reason) => {
      x.times.state(neighbor, state, x.clock.now());
      x.keeper().sessionEvent(neighbor);
      log.info("neighbor", { neighbor, state, ...(reason ? { reason } : {}) });
      // --once: a session that comes up starts the wait for its table, routes or not.
      const gate = x.gate();
      if (gate) {
        gate.state(neighbor, state, x.clock.now());
        x.changed();
      }
    },
    staleStarted: (neighbor, stopping, period) => x.staleTimers().arm(neighbor, stopping, period),
    refused: (neighbor, prefix) => x.keeper().refused(neighbor, prefix),
    // End-of-RIB: the peer's table is complete. A render then gives a fresh
    // process its first file even when the peer has no services.
    eor: (neighbor, family) => {
      log.debug("end_of_rib", { neighbor, family });
      x.gate()?.eor(neighbor, family);
      x.changed();
    },
    notification: (neighbor, code, subcode, data) => log.info("notification", { neighbor, code, subcode, data }),
    shutdown: () => log.info("exabgp_shutdown"),
    unread: (path, reason) => log.warn("message_part_unread", { path, reason, kept: "the rest of the message", reported: "once" }),
    ignored: (type, reason) => log.info("message_ignored", { type, reason, reported: "once" }),
  };
}
