// --once: render after the first complete table, then exit. The table is
// complete when every neighbor heard from (session up, or routes) has sent
// End-of-RIB, for each family it sent service routes in; a peer that sends no
// End-of-RIB is waited for `startup_wait` after the first thing heard. Until
// something is heard nothing renders at all: a listener ExaBGP restarts after
// it exited replays nothing, and must not install an empty table over the
// one it rendered. Pure: the daemon feeds it events and the clock's readings.

import type { RenderGate } from "./render-lanes.js";

/** Each neighbor with the families it holds service routes in (from the RIB). */
export type HeldFamilies = () => ReadonlyMap<string, ReadonlySet<string>>;

export const familyName = (family: 4 | 6): string => (family === 4 ? "ipv4 unicast" : "ipv6 unicast");

export class OnceGate implements RenderGate {
  private firstHeard: number | undefined;
  private readonly up = new Set<string>();
  private readonly eors = new Map<string, Set<string>>();

  constructor(
    private startupWaitMs: number,
    private readonly held: HeldFamilies,
  ) {}

  setStartupWait(ms: number): void {
    this.startupWaitMs = ms;
  }

  heard(now: number): void {
    this.firstHeard ??= now;
  }

  state(neighbor: string, state: string, now: number): void {
    this.heard(now);
    if (state === "up") this.up.add(neighbor);
    else {
      // A session that went down starts over: its next table ends with a new End-of-RIB.
      this.up.delete(neighbor);
      this.eors.delete(neighbor);
    }
  }

  eor(neighbor: string, family: string, now: number): void {
    this.heard(now);
    let set = this.eors.get(neighbor);
    if (!set) this.eors.set(neighbor, (set = new Set()));
    set.add(family);
  }

  /** Every neighbor heard from has said its table is complete. */
  complete(): boolean {
    const held = this.held();
    const neighbors = new Set([...this.up, ...held.keys()]);
    if (neighbors.size === 0) return false;
    for (const n of neighbors) {
      const got = this.eors.get(n);
      if (!got || got.size === 0) return false;
      for (const f of held.get(n) ?? []) if (!got.has(f)) return false;
    }
    return true;
  }

  notBefore(now: number): number | undefined {
    if (this.firstHeard === undefined) return Infinity;
    if (this.complete()) return undefined;
    const at = this.firstHeard + this.startupWaitMs;
    return now >= at ? undefined : at;
  }
}

/** The families each neighbor holds service routes in. */
export function heldFamilies(routes: Iterable<{ readonly neighbor: string; readonly prefix: { readonly family: 4 | 6 } }>): Map<string, Set<string>> {
  const held = new Map<string, Set<string>>();
  for (const r of routes) {
    let set = held.get(r.neighbor);
    if (!set) held.set(r.neighbor, (set = new Set()));
    set.add(familyName(r.prefix.family));
  }
  return held;
}
