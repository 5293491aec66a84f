// The grace timers of stale routes, one per stale period of a neighbor: when
// one ends, what of that period was not learned again goes. The periods come
// from session losses (stale_grace) and from a snapshot a restarted listener
// could not have confirmed (table-keeper.ts).

import type { Logger } from "@exacast/core";
import type { Clock, TimerHandle } from "@exacast/runtime";
import type { NeighborTimes } from "./neighbor-times.js";
import type { Rib } from "./rib.js";

/** ExaBGP stopping closes our stdin right after; should it go on talking to us anyway, the routes go after this. */
export const STOPPING_GRACE_MS = 30_000;

export class StaleTimers {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly deps: {
      readonly rib: Rib;
      readonly clock: Clock;
      readonly log: Logger;
      readonly times: NeighborTimes;
      readonly graceMs: () => number;
      /** Routes went: render. */
      readonly changed: () => void;
    },
  ) {}

  arm(neighbor: string, stopping: boolean, period: number): void {
    const { clock, log, times, rib } = this.deps;
    const grace = stopping ? Math.max(this.deps.graceMs(), STOPPING_GRACE_MS) : this.deps.graceMs();
    log.info("routes_kept", { neighbor, why: stopping ? "ExaBGP is stopping" : "stale_grace", grace_ms: grace });
    const key = `${neighbor} ${period}`;
    times.staleStarted(neighbor, period, clock.now() + grace);
    this.timers.set(
      key,
      clock.setTimeout(() => {
        this.timers.delete(key);
        times.staleEnded(neighbor, period);
        const n = rib.expireStale(neighbor, period);
        if (n > 0) log.info("stale_routes_removed", { neighbor, routes: n });
        this.deps.changed();
      }, grace),
    );
  }

  clear(): void {
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
    this.timers.clear();
  }
}
