// The listener's RIB: the service routes learned from each neighbor, keyed by
// prefix and add-path id (the prefix text names the family). Pure: no I/O, no
// clock. Routes without a `<community_asn>:<port>` community are never held, so
// a full table costs nothing; a re-announce without one removes the route.

import type { Community, Prefix, RouteAttributes, SessionState } from "@exacast/core";
import { isGracefulShutdown } from "@exacast/core";
import { HeldPrefixSet } from "./held-prefixes.js";

export interface Route {
  readonly neighbor: string;
  readonly prefix: Prefix;
  readonly pathId: number;
  readonly nexthop: string;
  readonly med: number | undefined;
  readonly localPref: number | undefined;
  readonly communities: readonly Community[];
  /** Service ports named by the communities, ascending, unique. */
  readonly ports: readonly number[];
  /** Carries GRACEFUL_SHUTDOWN (65535:0). */
  readonly draining: boolean;
}

export type NeighborState = SessionState | "unknown";

interface SharedCommunities {
  readonly communities: readonly Community[];
  readonly ports: readonly number[];
  readonly draining: boolean;
}

interface Neighbor {
  state: NeighborState;
  readonly routes: Map<string, Route>;
  /**
   * Routes kept through a session loss, until re-learned or expired: key →
   * the stale period (session loss) since which the route has not been seen.
   */
  stale: Map<string, number> | undefined;
  /** Routes withdrawn lately, oldest first (key → route, when): see sessionDown. */
  recent: Map<string, { route: Route; at: number }> | undefined;
}

/**
 * How long before a session loss a withdrawal counts as part of it. A route
 * server going down withdraws its peers' routes one peer at a time (GoBGP
 * deletes each peer, and sends the others that peer's withdrawals) before its
 * Cease reaches us, within milliseconds.
 */
export const WITHDRAWN_BEFORE_LOSS_MS = 1000;

export type AnnounceResult = "added" | "replaced" | "unchanged" | "removed" | "ignored" | "refused";

export interface RibOptions {
  communityAsn: number;
  maxRoutes: number;
}

const keyOf = (prefix: Prefix, pathId: number): string => (pathId === 0 ? prefix.text : `${prefix.text}#${pathId}`);

/** The service ports in `communities` under `asn`, ascending and unique. */
export function portsOf(communities: readonly Community[], asn: number): number[] {
  const ports: number[] = [];
  for (const c of communities) if (c[0] === asn && c[1] >= 1 && !ports.includes(c[1])) ports.push(c[1]);
  return ports.length > 1 ? ports.sort((a, b) => a - b) : ports;
}

function sameCommunities(a: readonly Community[], b: readonly Community[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
  return true;
}

function sameRoute(a: Route, b: Route): boolean {
  return a.nexthop === b.nexthop && a.med === b.med && a.localPref === b.localPref && sameCommunities(a.communities, b.communities);
}

export class Rib {
  private readonly neighbors = new Map<string, Neighbor>();
  /** Prefix text → number of held routes with it, over all neighbors (the prefilter asks). */
  private readonly heldPrefixes = new HeldPrefixSet();
  private readonly sharedCommunities = new Map<string, SharedCommunities>();
  private count = 0;
  private periods = 0;
  /** Bumped on every change to what is held: the services map is stale when it moved. */
  version = 0;

  constructor(private readonly opts: RibOptions) {}

  get size(): number {
    return this.count;
  }

  get communityAsn(): number {
    return this.opts.communityAsn;
  }

  /** Whether some neighbor holds a route for this prefix (canonical text). */
  holdsPrefix(text: string): boolean {
    return this.heldPrefixes.has(text);
  }

  get heldPrefixCount(): number {
    return this.heldPrefixes.size;
  }

  /** The held prefixes' fingerprint table, for the prefilter (see held-prefixes.ts). */
  get heldFingerprints(): Uint8Array {
    return this.heldPrefixes.fingerprints;
  }

  setMaxRoutes(n: number): void {
    this.opts.maxRoutes = n;
  }

  announce(neighbor: string, prefix: Prefix, pathId: number, nexthop: string, attrs: RouteAttributes): AnnounceResult {
    const { communities, ports, draining } = this.communitiesOf(attrs.communities);
    if (ports.length === 0) {
      // Not (or no longer) a service: a withdrawal to keep through a loss no more.
      const recent = this.neighbors.get(neighbor)?.recent;
      if (recent !== undefined) recent.delete(keyOf(prefix, pathId));
      return this.withdraw(neighbor, prefix, pathId) ? "removed" : "ignored";
    }
    const nb = this.neighbor(neighbor);
    const key = keyOf(prefix, pathId);
    const old = nb.routes.get(key);
    if (old === undefined && this.count >= this.opts.maxRoutes) return "refused";
    if (nb.recent !== undefined) nb.recent.delete(key);
    const route: Route = {
      neighbor,
      prefix,
      pathId,
      nexthop,
      med: attrs.med,
      localPref: attrs.localPref,
      communities,
      ports,
      draining,
    };
    // Re-learned after a session loss: no longer stale (a later loss gives it a
    // grace period of its own).
    if (nb.stale?.delete(key) && nb.stale.size === 0) nb.stale = undefined;
    if (old !== undefined && sameRoute(old, route)) return "unchanged";
    nb.routes.set(key, route);
    this.version++;
    if (old !== undefined) return "replaced";
    this.count++;
    this.heldPrefixes.add(prefix.text);
    return "added";
  }

  /**
   * Remove a route. With `at` (a clock, when stale_grace is on) it is
   * remembered for WITHDRAWN_BEFORE_LOSS_MS, for a session loss that follows
   * to keep it with the others.
   */
  withdraw(neighbor: string, prefix: Prefix, pathId: number, at?: number): boolean {
    const nb = this.neighbors.get(neighbor);
    if (nb === undefined) return false;
    const key = keyOf(prefix, pathId);
    const route = nb.routes.get(key);
    if (route === undefined || !this.remove(nb, key)) return false;
    if (at !== undefined) {
      nb.recent ??= new Map();
      for (const [k, r] of nb.recent) {
        if (r.at >= at - WITHDRAWN_BEFORE_LOSS_MS) break;
        nb.recent.delete(k);
      }
      nb.recent.set(key, { route, at });
    }
    return true;
  }

  setState(neighbor: string, state: NeighborState): void {
    this.neighbor(neighbor).state = state;
  }

  /**
   * The session with `neighbor` went down: drop its routes, or with `keepStale`
   * mark them stale (kept until re-learned or expireStale). Returns the stale
   * period this loss starts, for the caller to arm its grace timer, or 0 when
   * no route became stale. A route already stale keeps the period it has been
   * stale since, so a peer that keeps failing to reconnect cannot hold its
   * routes forever; a route re-learned since gets a period of its own, so an
   * older period ending (a backend gone for good) does not take it.
   */
  sessionDown(neighbor: string, keepStale: boolean, at?: number): number {
    const nb = this.neighbor(neighbor);
    nb.state = "down";
    const recent = nb.recent;
    nb.recent = undefined;
    if (!keepStale) {
      this.dropAll(nb);
      return 0;
    }
    // Withdrawn just before the loss: part of it (a route server on its way down).
    if (recent !== undefined && at !== undefined) {
      for (const [key, r] of recent) if (r.at >= at - WITHDRAWN_BEFORE_LOSS_MS && !nb.routes.has(key)) this.restore(nb, key, r.route);
    }
    const period = this.periods + 1;
    let fresh = 0;
    for (const key of nb.routes.keys()) {
      nb.stale ??= new Map();
      if (!nb.stale.has(key)) {
        nb.stale.set(key, period);
        fresh++;
      }
    }
    if (fresh === 0) return 0;
    this.periods = period;
    return period;
  }

  /** Stale period `period` (or every one) of `neighbor` is over: drop what was not re-learned since. */
  expireStale(neighbor: string, period = Infinity): number {
    const nb = this.neighbors.get(neighbor);
    if (nb?.stale === undefined) return 0;
    let n = 0;
    for (const [key, p] of [...nb.stale]) if (p <= period && this.remove(nb, key)) n++;
    return n;
  }

  /** The stale period a route is in, or undefined when it is not stale. */
  stalePeriod(neighbor: string, prefix: Prefix, pathId: number): number | undefined {
    return this.neighbors.get(neighbor)?.stale?.get(keyOf(prefix, pathId));
  }

  state(neighbor: string): NeighborState {
    return this.neighbors.get(neighbor)?.state ?? "unknown";
  }

  /** Every neighbor seen, with its state and route counts. */
  neighborSummaries(): { address: string; state: NeighborState; routes: number; stale: number }[] {
    return [...this.neighbors].map(([address, nb]) => ({ address, state: nb.state, routes: nb.routes.size, stale: nb.stale?.size ?? 0 }));
  }

  /** Every route kept through a session loss, with the stale period it belongs to. */
  *staleRoutes(): IterableIterator<{ route: Route; period: number }> {
    for (const nb of this.neighbors.values()) {
      for (const [key, period] of nb.stale ?? []) {
        const route = nb.routes.get(key);
        if (route !== undefined) yield { route, period };
      }
    }
  }

  *routes(): IterableIterator<Route> {
    for (const nb of this.neighbors.values()) yield* nb.routes.values();
  }

  /**
   * One copy of each community list (with its ports), shared by the routes
   * carrying it: 100k hosts' routes have a handful of distinct lists.
   */
  private communitiesOf(list: readonly Community[]): SharedCommunities {
    let key = "";
    for (const c of list) key += `${c[0]}:${c[1]} `;
    let shared = this.sharedCommunities.get(key);
    if (shared === undefined) {
      if (this.sharedCommunities.size >= 10_000) this.sharedCommunities.clear();
      const communities = list.map((c): Community => [c[0], c[1]]);
      shared = { communities, ports: portsOf(communities, this.opts.communityAsn), draining: communities.some(isGracefulShutdown) };
      this.sharedCommunities.set(key, shared);
    }
    return shared;
  }

  private neighbor(address: string): Neighbor {
    let nb = this.neighbors.get(address);
    if (nb === undefined) this.neighbors.set(address, (nb = { state: "unknown", routes: new Map(), stale: undefined, recent: undefined }));
    return nb;
  }

  private restore(nb: Neighbor, key: string, route: Route): void {
    if (this.count >= this.opts.maxRoutes) return;
    nb.routes.set(key, route);
    this.count++;
    this.heldPrefixes.add(route.prefix.text);
    this.version++;
  }

  private remove(nb: Neighbor, key: string): boolean {
    const old = nb.routes.get(key);
    if (old === undefined) return false;
    nb.routes.delete(key);
    nb.stale?.delete(key);
    if (nb.stale?.size === 0) nb.stale = undefined;
    this.count--;
    this.heldPrefixes.remove(old.prefix.text);
    this.version++;
    return true;
  }

  private dropAll(nb: Neighbor): void {
    for (const key of [...nb.routes.keys()]) this.remove(nb, key);
    nb.stale = undefined;
  }
}
