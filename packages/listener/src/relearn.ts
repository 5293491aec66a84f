// Re-learning a table the listener lost (README: Restarts of the listener).
// ExaBGP replays nothing to a process it starts again: the new listener
// starts from its snapshot, routes stale, and renders nothing while it knows
// its table to be partial.
// - A snapshot written at a clean exit missed nothing: nobody is asked; each
//   neighbor's next session event applies stale_grace to its routes.
// - Otherwise its neighbors are asked (ROUTE-REFRESH, refresh-queue.ts); when
//   a refresh is complete the stale routes not sent again are dropped.
// - A neighbor that cannot be asked, or sent none of its routes back, makes
//   the table blind: said loudly, files kept, until its session starts over.
// - A session event supersedes a refresh: a new session sends everything.

import type { ApiSyntax, Logger, RefreshFamily } from "@exacast/core";
import { REFRESH_FAMILIES } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import type { RefreshCapability } from "./exabgp-session.js";
import type { RefreshReason, RefreshRequest } from "./refresh-queue.js";
import { RefreshQueue } from "./refresh-queue.js";

export { ACK_WAIT_MS, QUIET_MS, REFRESH_TIMEOUT_MS } from "./refresh-queue.js";
export type { RefreshReason } from "./refresh-queue.js";

export interface RelearnHooks {
  /** `neighbor` sent its routes again: those of stale period `period` it did not send are gone. */
  expire(neighbor: string, period: number): void;
  /** `neighbor`'s stale period follows stale_grace (its session moved, or it cannot be asked). */
  keepStale(neighbor: string, period: number): void;
  /** The table is no longer known to be partial: render what was held back. */
  released(): void;
}

type Caps = { refresh?: RefreshCapability; families?: RefreshFamily[] };

export class Relearn {
  private readonly queue: RefreshQueue;
  private readonly caps = new Map<string, Caps>();
  /** Neighbors whose table this process learned from the start of their session, or asked again. */
  private readonly known = new Set<string>();
  /** Snapshot routes' stale period per neighbor; `ask`: waiting on its refresh. */
  private readonly periods = new Map<string, { period: number; ask: boolean }>();
  /** Since each neighbor was asked: its stale routes sent again, and its routes at all. */
  private readonly relearnt = new Map<string, number>();
  private readonly heard = new Map<string, number>();
  /** Neighbors still settling with a refresh ExaBGP took (`done`), or sent while answers are off. */
  private readonly answered = new Set<string>();
  private readonly acked = new Set<string>();
  private readonly blind = new Map<string, string>();
  private holdingBefore = false;

  constructor(
    clock: Clock,
    private readonly log: Logger,
    send: ((line: string) => void) | undefined,
    private readonly hooks: RelearnHooks,
  ) {
    this.queue = new RefreshQueue(clock, log, send, {
      enhanced: (n) => this.caps.get(n)?.refresh === "enhanced",
      finished: (r, answered) => this.finished(r, answered),
      changed: () => this.changedHold(),
    });
  }

  set api(api: ApiSyntax) {
    this.queue.api = api;
  }

  /**
   * Renders wait while true: a neighbor is blind, or a refresh of a table
   * known to be partial is on its way: a snapshot's neighbor, or (once ExaBGP
   * said it asked established neighbors) everyone or a neighbor met mid-session.
   */
  get holding(): boolean {
    return this.blind.size > 0 || this.queue.requests.some((r) => (r.reason === "restart" && r.target !== "*") || (r.reason !== "max_routes" && r.acked === true));
  }

  /** Whether any refresh is on its way (then the times of lines matter). */
  get busy(): boolean {
    return this.queue.requests.length > 0;
  }

  asking(reason: RefreshReason): boolean {
    return this.queue.requests.some((r) => r.reason === reason);
  }

  capabilities(neighbor: string): Caps {
    return this.caps.get(neighbor) ?? {};
  }

  status() {
    return {
      complete: !this.holding,
      refreshing: this.queue.requests.map((r) => ({ neighbor: r.target, family: r.family, reason: r.reason, state: r.state })),
      blind: [...this.blind].map(([neighbor, why]) => ({ neighbor, why })),
    };
  }

  /** A neighbor from the snapshot, its routes stale in `period`; `final`: written at a clean exit. */
  restored(neighbor: string, period: number, caps: Caps, final: boolean): void {
    this.caps.set(neighbor, caps);
    this.known.add(neighbor);
    this.periods.set(neighbor, { period, ask: !final });
    if (final) return;
    if (caps.refresh === "absent") this.goBlind(neighbor, "it does not take route refresh (no route-refresh capability negotiated)");
    else this.ask(neighbor, "restart");
  }

  /** At start without a snapshot: ask every established neighbor (none: a fresh ExaBGP, nothing lost). */
  askEveryone(): void {
    for (const family of REFRESH_FAMILIES) this.queue.add("*", family, "restart");
  }

  /** Ask one neighbor again, for `only` or each family it has. */
  ask(neighbor: string, reason: RefreshReason, only?: RefreshFamily): void {
    const families = only ? [only] : this.caps.get(neighbor)?.families;
    if (!this.queue.requests.some((r) => r.target === neighbor)) {
      this.relearnt.set(neighbor, 0);
      this.heard.set(neighbor, 0);
    }
    for (const family of families?.length ? families : REFRESH_FAMILIES) this.queue.add(neighbor, family, reason);
  }

  negotiated(neighbor: string, refresh: RefreshCapability | undefined, families: RefreshFamily[], api: ApiSyntax): void {
    this.queue.api = api;
    this.caps.set(neighbor, { ...(refresh ? { refresh } : {}), ...(families.length ? { families } : {}) });
  }

  /** A session event: what this process learns from now on is the whole table. */
  sessionEvent(neighbor: string): void {
    this.known.add(neighbor);
    if (this.queue.cancel(neighbor) || this.blind.delete(neighbor)) {
      this.log.info("refresh_superseded", { neighbor, why: "its session started over: it sends every route anyway" });
    }
    const p = this.periods.get(neighbor);
    this.periods.delete(neighbor);
    if (p) this.hooks.keepStale(neighbor, p.period);
    this.changedHold();
  }

  /** A route from `neighbor`: one whose session this process never saw start has a partial table. */
  routeFrom(neighbor: string): void {
    if (this.queue.requests.length > 0) this.heard.set(neighbor, (this.heard.get(neighbor) ?? 0) + 1);
    if (this.known.has(neighbor)) return;
    this.known.add(neighbor);
    if (this.queue.requests.some((r) => r.target === "*")) return; // being sent again already
    this.log.warn("table_partial", { neighbor, why: "routes from a session that started before this process", action: "route refresh" });
    if (this.caps.get(neighbor)?.refresh === "absent") this.goBlind(neighbor, "it does not take route refresh");
    else this.ask(neighbor, "unknown_neighbor");
  }

  /** A stale route of `neighbor` was sent again. */
  relearned(neighbor: string): void {
    this.relearnt.set(neighbor, (this.relearnt.get(neighbor) ?? 0) + 1);
  }

  line(now: number): void {
    this.queue.line(now);
  }

  ack(answer: "done" | "error" | "shutdown"): void {
    const r = this.queue.requests.find((x) => x.state === "sent");
    if (r && answer === "done") this.acked.add(r.target);
    this.queue.ack(answer);
  }

  endOfRefresh(neighbor: string, family: string): void {
    this.queue.endOfRefresh(neighbor, family);
  }

  stop(): void {
    this.queue.stop();
  }

  /** A request is over: the neighbor's last one settles what waited on it. */
  private finished(r: RefreshRequest, answered: boolean): void {
    const n = r.target;
    if (r.reason === "max_routes" || n === "*") return;
    if (answered) this.answered.add(n);
    if (this.queue.requests.some((x) => x.target === n)) return;
    const wasAnswered = this.answered.delete(n);
    const wasAcked = this.acked.delete(n);
    const p = this.periods.get(n);
    if (r.reason === "restart" && p?.ask) {
      this.periods.delete(n);
      if (!wasAnswered) return this.hooks.keepStale(n, p.period);
      if ((this.relearnt.get(n) ?? 0) > 0) return this.hooks.expire(n, p.period);
      this.periods.set(n, { period: p.period, ask: false });
    } else if (!wasAcked || (this.heard.get(n) ?? 0) > 0) return;
    this.goBlind(n, "it was asked to send its routes again and sent none back (is `capability { route-refresh; }` set for it in exabgp.conf? ExaBGP 4.2 also drops them after a configuration reload)");
  }

  private goBlind(neighbor: string, why: string): void {
    if (!this.blind.has(neighbor)) {
      this.log.error("table_incomplete", {
        neighbor,
        why,
        files: "kept as they are until its session starts over",
        fix: "enable `capability { route-refresh; }` and `api { negotiated; }` for it in exabgp.conf, or reset the session",
      });
    }
    this.blind.set(neighbor, why);
    this.changedHold();
  }

  private changedHold(): void {
    const holding = this.holding;
    if (this.holdingBefore && !holding) {
      this.log.info("table_complete", { note: "rendering again" });
      this.hooks.released();
    }
    this.holdingBefore = holding;
  }
}
