// Keeps the listener's table whole across its own restarts and the routes it
// had to refuse: the snapshot on disk (read at start, written after renders),
// the route refreshes that re-learn what the snapshot cannot vouch for
// (relearn.ts), max_routes' asking again (max-routes.ts), and the lines from
// ExaBGP that serve them (exabgp-session.ts). The daemon asks it whether the
// table is known to be partial (then nothing renders) and tells it what
// happens to the RIB.

import type { Logger, Prefix, RouteAttributes } from "@exacast/core";
import type { Clock, FileStore } from "@exacast/runtime";
import { causeOf, LogThrottle, sleep } from "@exacast/runtime";
import { apiOfJsonVersion, sessionLine } from "./exabgp-session.js";
import { MaxRoutesGuard } from "./max-routes.js";
import { Relearn } from "./relearn.js";
import type { AnnounceResult } from "./rib.js";
import { Rib } from "./rib.js";
import type { Snapshot } from "./snapshot.js";
import { decodeSnapshot, encodeSnapshot, snapshotOf } from "./snapshot.js";

/**
 * How long a new listener waits for the one before it (still running: ExaBGP
 * restarted its processes, and it is finishing a render) to write its last
 * snapshot. stdin is not read meanwhile: ExaBGP may block writing to it, which
 * for a few seconds costs nothing (hold timers are minutes).
 */
export const PREDECESSOR_WAIT_MS = 5000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A RIB that says when a route comes from a neighbor (to find sessions that
 * started before this process) and when a stale route is sent again (a
 * refresh being answered).
 */
export class WatchedRib extends Rib {
  onRoute: ((neighbor: string) => void) | undefined;
  onRelearned: ((neighbor: string) => void) | undefined;

  override announce(neighbor: string, prefix: Prefix, pathId: number, nexthop: string, attrs: RouteAttributes): AnnounceResult {
    const wasStale = this.onRelearned !== undefined && this.stalePeriod(neighbor, prefix, pathId) !== undefined;
    const r = super.announce(neighbor, prefix, pathId, nexthop, attrs);
    if (r === "ignored" || r === "refused") return r;
    this.onRoute?.(neighbor);
    if (wasStale) this.onRelearned!(neighbor);
    return r;
  }
}

export interface KeeperDeps {
  readonly rib: WatchedRib;
  readonly clock: Clock;
  readonly log: Logger;
  readonly files: FileStore;
  /** --dry: the snapshot is read, never written. */
  readonly readOnly?: boolean;
  /** A command to ExaBGP (our stdout); undefined: none can be sent. */
  readonly send: ((line: string) => void) | undefined;
  readonly config: () => { snapshotFile: string | undefined; maxRoutes: number; communityAsn: number };
  /** Arm the stale_grace timer of a stale period. */
  readonly keepStale: (neighbor: string, period: number) => void;
  /** The RIB changed outside a line (stale routes dropped). */
  readonly changed: () => void;
  /** The table is no longer known to be partial: render what was held back. */
  readonly released: () => void;
  /** Whether a process runs (default: signal 0). */
  readonly alive?: ((pid: number) => boolean) | undefined;
}

export class TableKeeper {
  readonly relearn: Relearn;
  readonly maxRoutes: MaxRoutesGuard;
  private exabgpVersion: string | undefined;
  private savedVersion = -1;
  private metaChanged = false;
  private readonly saveFailures: LogThrottle;

  constructor(private readonly deps: KeeperDeps) {
    const { rib, clock, log } = deps;
    this.saveFailures = new LogThrottle(log, clock);
    this.relearn = new Relearn(clock, log, deps.send, {
      expire: (neighbor, period) => {
        const n = rib.expireStale(neighbor, period);
        log.info("refresh_complete", { neighbor, stale_routes_removed: n });
        if (n > 0) deps.changed();
      },
      keepStale: (neighbor, period) => deps.keepStale(neighbor, period),
      released: () => {
        this.maxRoutes.changed();
        deps.released();
      },
    });
    this.maxRoutes = new MaxRoutesGuard({
      clock,
      log,
      held: () => ({ size: rib.size, max: deps.config().maxRoutes }),
      ask: (neighbor, family) => this.relearn.ask(neighbor, "max_routes", family),
      asking: () => this.relearn.asking("max_routes"),
    });
    rib.onRoute = (neighbor) => this.relearn.routeFrom(neighbor);
    rib.onRelearned = (neighbor) => this.relearn.relearned(neighbor);
  }

  /** Nothing renders while true: the table is known to be partial. */
  get holding(): boolean {
    return this.relearn.holding;
  }

  /** At start, before stdin is read: the snapshot in, the refreshes out. */
  async start(): Promise<void> {
    const file = this.deps.config().snapshotFile;
    const snap = file === undefined ? undefined : await this.latest(file);
    if (snap === undefined || snap.neighbors.length === 0) {
      this.relearn.askEveryone();
      return;
    }
    const { rib, clock, log } = this.deps;
    if (snap.exabgp !== undefined) {
      this.exabgpVersion = snap.exabgp;
      this.relearn.api = apiOfJsonVersion(snap.exabgp);
    }
    const { onRoute, onRelearned } = rib;
    rib.onRoute = rib.onRelearned = undefined;
    let routes = 0;
    for (const n of snap.neighbors) {
      for (const r of n.routes) {
        if (rib.announce(n.address, r.prefix, r.pathId, r.nexthop, { communities: r.communities, largeCommunities: [], extendedCommunities: [], med: r.med, localPref: r.localPref }) === "added") routes++;
      }
      const period = rib.sessionDown(n.address, true, clock.now());
      rib.setState(n.address, "unknown");
      this.relearn.restored(n.address, period, { ...(n.refresh ? { refresh: n.refresh } : {}), ...(n.families ? { families: n.families } : {}) }, snap.final);
    }
    rib.onRoute = onRoute;
    rib.onRelearned = onRelearned;
    this.savedVersion = rib.version;
    log.info("snapshot_loaded", { file, neighbors: snap.neighbors.length, routes, final: snap.final, note: "stale until the neighbors send them again" });
  }

  /** A line ExaBGP sent: true when it was for us (an answer, negotiated, route-refresh), not for the RIB. */
  intercept(text: string): boolean {
    if (this.relearn.busy) this.relearn.line(this.deps.clock.now());
    const s = sessionLine(text);
    if (s === undefined) return false;
    switch (s.kind) {
      case "ack":
        this.relearn.ack(s.answer);
        break;
      case "negotiated":
        this.exabgpVersion = s.version;
        this.metaChanged = true;
        this.relearn.negotiated(s.neighbor, s.refresh, s.families, apiOfJsonVersion(s.version));
        break;
      case "refresh":
        if (s.subtype === "end") this.relearn.endOfRefresh(s.neighbor, s.family);
        break;
      case "bad":
        this.deps.log.warn("line_skipped", { reason: "not_exabgp", error: s.error });
        break;
    }
    return true;
  }

  /** A session event from ExaBGP (connected, up, down). */
  sessionEvent(neighbor: string): void {
    this.relearn.sessionEvent(neighbor);
  }

  refused(neighbor: string, prefix: string): void {
    this.maxRoutes.refused(neighbor, prefix);
  }

  /** After lines that changed the RIB, or a new max_routes. */
  ribChanged(): void {
    this.maxRoutes.changed();
  }

  /** Write the snapshot if the RIB moved since the last one; `last`: at exit (final when the table is whole). */
  async save(last = false): Promise<void> {
    const file = this.deps.config().snapshotFile;
    const { rib } = this.deps;
    if (file === undefined || this.deps.readOnly || (rib.version === this.savedVersion && !this.metaChanged && !last)) return;
    const version = rib.version;
    const writer = { pid: process.pid, final: last && !this.holding };
    const snap = snapshotOf(rib.routes(), this.deps.config().communityAsn, this.exabgpVersion, (n) => this.relearn.capabilities(n), writer);
    const text = encodeSnapshot(snap, new Date().toISOString());
    const r = await this.deps.files.replaceFile(file, text);
    if (!r.ok) return this.saveFailures.failed("snapshot_failed", causeOf("write", r.error), { file, error: r.error });
    this.saveFailures.succeeded("snapshot_recovered", { file });
    this.savedVersion = version;
    this.metaChanged = false;
  }

  status() {
    return { ...this.relearn.status(), max_routes_reached: this.maxRoutes.reached };
  }

  stop(): void {
    this.relearn.stop();
    this.maxRoutes.stop();
  }

  /** The snapshot, the last one of a predecessor still finishing if it comes in time. */
  private async latest(file: string): Promise<Snapshot | undefined> {
    let snap = await this.load(file);
    const pid = snap?.pid;
    const isAlive = this.deps.alive ?? alive;
    if (snap === undefined || snap.final || pid === undefined || pid === process.pid || !isAlive(pid)) return snap;
    const { clock, log } = this.deps;
    log.info("snapshot_wait", { pid, why: "the listener before this one is still running: waiting for its last snapshot", max_ms: PREDECESSOR_WAIT_MS });
    const until = clock.now() + PREDECESSOR_WAIT_MS;
    while (clock.now() < until && isAlive(pid) && !snap?.final) {
      await sleep(clock, 50);
      snap = await this.load(file);
    }
    return snap ?? (await this.load(file));
  }

  private async load(file: string): Promise<Snapshot | undefined> {
    let text: string | undefined;
    try {
      text = await this.deps.files.readIfExists(file);
    } catch (e) {
      this.deps.log.error("snapshot_unreadable", { file, error: (e as Error).message, note: "starting without it" });
      return undefined;
    }
    if (text === undefined) return undefined;
    const s = decodeSnapshot(text);
    if (!s.ok) {
      // The next snapshot replaces it.
      this.deps.log.error("snapshot_unreadable", { file, error: s.error, note: "starting without it" });
      return undefined;
    }
    if (s.value.communityAsn !== this.deps.config().communityAsn) {
      this.deps.log.warn("snapshot_ignored", { file, why: `taken with community_asn ${s.value.communityAsn}, not ${this.deps.config().communityAsn}` });
      return undefined;
    }
    return s.value;
  }
}
