// GoCast's `GET /info`: its BGP peer as GoBGP's api.Peer, written by Go's
// encoding/json (snake_case keys, zero values left out). GoCast has one peer
// and answers `null` until it exists; exacast's peers are ExaBGP's neighbors,
// of which it hears `up`, `connected` and `down` (neighbor-changes). It
// answers with the first neighbor that is up, else the first it heard of,
// filling what it knows in GoBGP's places: conf.neighbor_address,
// state.neighbor_address, state.session_state (GoBGP's numbers: 6
// ESTABLISHED, 4 OPENSENT, 3 ACTIVE) and timers.state.uptime/downtime (Unix
// seconds). Pure: times come in as the clock's and go out through `unixOf`.

export type NeighborState = "up" | "down" | "connected";

/** GoBGP's PeerState_SessionState numbers for what ExaBGP reports. */
export const SESSION_STATE: Readonly<Record<NeighborState, number>> = { up: 6, connected: 4, down: 3 };

interface Neighbor {
  state: NeighborState;
  up: number | null;
  down: number | null;
}

/** The part of GoBGP's api.Peer exacast can fill. */
export interface GoCastPeer {
  readonly conf: { readonly neighbor_address: string };
  readonly state: { readonly neighbor_address: string; readonly session_state: number };
  readonly timers?: { readonly state: { readonly uptime?: { readonly seconds: number }; readonly downtime?: { readonly seconds: number } } };
}

/** At most this many neighbors are remembered: the addresses come from ExaBGP, but a bound keeps memory bounded. */
const MAX_NEIGHBORS = 1024;

export class NeighborBook {
  /** In the order first heard of. */
  private readonly neighbors = new Map<string, Neighbor>();

  /** ExaBGP reported `address` in `state` at clock time `at`. */
  seen(address: string, state: NeighborState, at: number): void {
    let n = this.neighbors.get(address);
    const previous = n?.state;
    if (!n) {
      if (this.neighbors.size >= MAX_NEIGHBORS) return;
      this.neighbors.set(address, (n = { state, up: null, down: null }));
    }
    if (state === "up" && previous !== "up") n.up = at;
    if (state === "down" && previous !== "down") n.down = at;
    n.state = state;
  }

  /** GoCast's /info answer: the peer, or null (no neighbor heard of yet, as GoCast before its first announcement). */
  info(unixOf: (clockMs: number) => number): GoCastPeer | null {
    const all = [...this.neighbors];
    const pick = all.find(([, n]) => n.state === "up") ?? all[0];
    if (!pick) return null;
    const [address, n] = pick;
    const secs = (t: number) => ({ seconds: Math.floor(unixOf(t) / 1000) });
    const state = {
      ...(n.up !== null ? { uptime: secs(n.up) } : {}),
      ...(n.down !== null ? { downtime: secs(n.down) } : {}),
    };
    return {
      conf: { neighbor_address: address },
      state: { neighbor_address: address, session_state: SESSION_STATE[n.state] },
      ...(Object.keys(state).length > 0 ? { timers: { state } } : {}),
    };
  }
}
