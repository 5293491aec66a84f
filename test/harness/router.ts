// What a test asks of any BGP router it peers ExaBGP with (GoBGP, FRR, BIRD):
// start it on the lab's .1 address, restart it, wait for sessions, and show
// the paths it holds for a prefix. One file per daemon implements it.

import type { Lab } from "./lab.js";

export type RouterKind = "gobgp" | "frr-rs" | "bird-rs" | "frr-tor";

export interface RouterNeighbor {
  address: string;
  peerAs: number;
}

/** One path of a prefix in the router's table. */
export interface RibPath {
  prefix: string;
  /** The neighbor it was learned from. */
  from: string;
  nexthop: string;
  /** Standard communities as `asn:value` text. */
  communities: string[];
}

export interface Router {
  readonly kind: RouterKind;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  /** Stop (if running) and start again with the same config and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  waitEstablished(neighbor: string, timeout?: number): Promise<void>;
  /** The paths held for exactly `prefix` (e.g. "10.255.255.1/32"), from any neighbor. */
  paths(prefix: string): Promise<RibPath[]>;
}

export interface RouterOptions {
  asn?: number;
  neighbors: RouterNeighbor[];
}

/** A human name for reports: "GoBGP route server", "FRR eBGP ToR"… */
export const ROUTER_NAMES: Record<RouterKind, string> = {
  gobgp: "GoBGP route server",
  "frr-rs": "FRR route server",
  "bird-rs": "BIRD route server",
  "frr-tor": "FRR eBGP ToR",
};

export async function startRouter(kind: RouterKind, lab: Lab, opts: RouterOptions): Promise<Router> {
  switch (kind) {
    case "gobgp":
      return lab.gobgp(opts);
    case "frr-rs":
    case "frr-tor": {
      const { Frr } = await import("./frr.js");
      return Frr.start(lab, { ...opts, mode: kind === "frr-rs" ? "route-server" : "tor" });
    }
    case "bird-rs": {
      const { Bird } = await import("./bird.js");
      return Bird.start(lab, opts);
    }
  }
}
