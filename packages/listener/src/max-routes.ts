// max_routes as a gentle BGP max-prefix: a route over the limit is not held
// (the session stays up), the neighbors it came from are remembered, and once
// withdrawals make room they are asked to send their routes again (route
// refresh), at most as often as a back-off allows while the limit keeps being
// hit. Logged as an error when it starts (a reminder with a count each
// minute), and as a recovery once a refresh brought every route in.

import type { Logger, RefreshFamily } from "@exacast/core";
import type { Clock, TimerHandle } from "@exacast/runtime";
import { Backoff, LogThrottle } from "@exacast/runtime";

export const ASK_AGAIN_FIRST_MS = 1000;
export const ASK_AGAIN_MAX_MS = 60_000;

export interface MaxRoutesDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** Routes held, and the limit now. */
  readonly held: () => { size: number; max: number };
  /** Ask `neighbor` for its routes of `family` again. */
  readonly ask: (neighbor: string, family: RefreshFamily) => void;
  /** Whether a refresh asked by this guard is still on its way. */
  readonly asking: () => boolean;
}

export class MaxRoutesGuard {
  /** Neighbor and family (`<neighbor> <afi> <safi>`) of routes refused since they were last asked. */
  private readonly owed = new Map<string, { neighbor: string; family: RefreshFamily }>();
  private readonly backoff = new Backoff(ASK_AGAIN_FIRST_MS, ASK_AGAIN_MAX_MS);
  private readonly throttle: LogThrottle;
  private notBefore = 0;
  private timer: TimerHandle;
  private refusedSinceAsk = false;

  constructor(private readonly deps: MaxRoutesDeps) {
    this.throttle = new LogThrottle(deps.log, deps.clock);
  }

  /** While true, some service routes are not held. */
  get reached(): boolean {
    return this.owed.size > 0 || this.deps.asking();
  }

  refused(neighbor: string, prefix: string): void {
    const family: RefreshFamily = prefix.includes(":") ? "ipv6 unicast" : "ipv4 unicast";
    this.owed.set(`${neighbor} ${family}`, { neighbor, family });
    this.refusedSinceAsk = true;
    const { max } = this.deps.held();
    this.throttle.failed("max_routes_reached", "max_routes", {
      neighbor,
      prefix,
      max_routes: max,
      note: "routes over the limit are not held; they are asked for again (route refresh) once withdrawals make room",
    });
  }

  /** The RIB changed (or the limit did): ask again if there is room. */
  changed(): void {
    const { size, max } = this.deps.held();
    if (size >= max) return;
    if (this.owed.size === 0) {
      if (!this.deps.asking() && !this.refusedSinceAsk) {
        this.backoff.reset();
        this.throttle.succeeded("max_routes_recovered", { max_routes: max, routes: size });
      }
      return;
    }
    const now = this.deps.clock.now();
    if (now < this.notBefore || this.deps.asking()) return this.arm(Math.max(this.notBefore - now, 100));
    const owed = [...this.owed.values()];
    this.owed.clear();
    this.refusedSinceAsk = false;
    this.notBefore = now + this.backoff.next();
    this.deps.log.info("max_routes_room", { routes: size, max_routes: max, asking: owed.map((o) => `${o.neighbor} ${o.family}`).join(", ") });
    for (const o of owed) this.deps.ask(o.neighbor, o.family);
  }

  stop(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.changed();
    }, ms);
  }
}
