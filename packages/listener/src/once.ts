// --once: render after the first complete table, then exit. A table is only
// known whole when its session was seen coming up: ExaBGP replays nothing to
// a process it restarts (and it restarts one that exits), so a --once
// listener started beside established sessions hears only later updates, and
// must never install them over the file its predecessor rendered. So: the
// table is sound when every neighbor holding service routes was seen coming
// up; it is complete when, besides, every neighbor up has sent End-of-RIB for
// each family it sent service routes in. A peer that sends no End-of-RIB
// (GoBGP without graceful restart) is waited for `startup_wait` after the
// first session came up. Pure: the daemon feeds it events and the clock.

import type { RenderGate } from "./render-lanes.js";

/** Each neighbor with the families it holds service routes in (from the RIB). */
export type HeldFamilies = () => ReadonlyMap<string, ReadonlySet<string>>;

export const familyName = (family: 4 | 6): string => (family === 4 ? "ipv4 unicast" : "ipv6 unicast");

export class OnceGate implements RenderGate {
  private firstUp: number | undefined;
  private readonly up = new Set<string>();
  private readonly seenUp = new Set<string>();
  private readonly eors = new Map<string, Set<string>>();

  constructor(
    private startupWaitMs: number,
    private readonly held: HeldFamilies,
  ) {}

  setStartupWait(ms: number): void {
    this.startupWaitMs = ms;
  }

  state(neighbor: string, state: string, now: number): void {
    if (state === "up") {
      this.firstUp ??= now;
      this.up.add(neighbor);
      this.seenUp.add(neighbor);
    } else {
      // A session that went down starts over: its next table ends with a new End-of-RIB.
      this.up.delete(neighbor);
      this.eors.delete(neighbor);
    }
  }

  eor(neighbor: string, family: string): void {
    let set = this.eors.get(neighbor);
    if (!set) this.eors.set(neighbor, (set = new Set()));
    set.add(family);
  }

  /** Every route held came in a session seen from its start. */
  sound(): boolean {
    if (this.seenUp.size === 0) return false;
    for (const n of this.held().keys()) if (!this.seenUp.has(n)) return false;
    return true;
  }

  /** Sound, and every neighbor up has said its table is complete. */
  complete(): boolean {
    if (!this.sound()) return false;
    const held = this.held();
    for (const n of this.up) {
      const got = this.eors.get(n);
      if (!got || got.size === 0) return false;
      for (const f of held.get(n) ?? []) if (!got.has(f)) return false;
    }
    return true;
  }

  notBefore(now: number): number | undefined {
    if (this.firstUp === undefined || !this.sound()) return Infinity;
    if (this.complete()) return undefined;
    const at = this.firstUp + this.startupWaitMs;
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
