// The RIB on disk, so a listener ExaBGP starts again begins with the table
// its predecessor held (as stale routes, until the peers send them again)
// instead of an empty one. Written atomically after each render cycle and at
// exit; read once at start. Every field is checked as if it came from a peer:
// a snapshot that does not read back exactly is set aside, not half-used.
//
// Format (JSON, version 1): the community ASN it was taken with (another ASN
// holds other routes: not used), the JSON version of ExaBGP's messages (which
// text API to speak before any message comes), the writer's pid and whether
// it was its last, written at a clean exit with the whole table (`final`),
// and per neighbor what it negotiated and its routes as [prefix, path id,
// next hop, MED, LOCAL_PREF, communities].

import { z } from "zod";
import type { Community, Prefix, RefreshFamily } from "@exacast/core";
import { parseAddress, parsePrefix, REFRESH_FAMILIES } from "@exacast/core";
import type { RefreshCapability } from "./exabgp-session.js";
import type { Route } from "./rib.js";

export const SNAPSHOT_VERSION = 1;

/** A held route as the snapshot keeps it: its neighbor is the key it is filed under, its ports follow from its communities. */
export type SnapshotRoute = Pick<Route, "prefix" | "pathId" | "nexthop" | "med" | "localPref" | "communities">;

export interface SnapshotNeighbor {
  readonly address: string;
  readonly refresh: RefreshCapability | undefined;
  readonly families: RefreshFamily[] | undefined;
  readonly routes: SnapshotRoute[];
}

export interface Snapshot {
  readonly communityAsn: number;
  readonly exabgp: string | undefined;
  /** Who wrote it, and whether at a clean exit with the whole table. */
  readonly pid: number | undefined;
  readonly final: boolean;
  readonly neighbors: SnapshotNeighbor[];
}

const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffffffff);
const RouteRow = z.tuple([z.string(), u32, z.string(), u32.nullable(), u32.nullable(), z.array(z.tuple([u16, u16]))]);
const SnapshotSchema = z.object({
  exacast: z.literal("listener-rib"),
  version: z.literal(SNAPSHOT_VERSION),
  community_asn: u16,
  exabgp: z.string().max(40).nullable(),
  saved: z.string().optional(),
  pid: u32.optional(),
  final: z.boolean().default(false),
  neighbors: z.array(
    z.object({
      address: z.string(),
      refresh: z.enum(["absent", "normal", "enhanced"]).nullable(),
      families: z.array(z.enum(REFRESH_FAMILIES as [RefreshFamily, ...RefreshFamily[]])).nullable(),
      routes: z.array(RouteRow),
    }),
  ),
});

/** The snapshot's text: routes grouped by neighbor, in the RIB's order. */
export function encodeSnapshot(s: Snapshot, savedIso: string): string {
  return (
    JSON.stringify({
      exacast: "listener-rib",
      version: SNAPSHOT_VERSION,
      community_asn: s.communityAsn,
      exabgp: s.exabgp ?? null,
      saved: savedIso,
      ...(s.pid !== undefined ? { pid: s.pid } : {}),
      final: s.final,
      neighbors: s.neighbors.map((n) => ({
        address: n.address,
        refresh: n.refresh ?? null,
        families: n.families ?? null,
        routes: n.routes.map((r) => [r.prefix.text, r.pathId, r.nexthop, r.med ?? null, r.localPref ?? null, r.communities]),
      })),
    }) + "\n"
  );
}

/** The snapshot in a text, or why it cannot be used. */
export function decodeSnapshot(text: string): { ok: true; value: Snapshot } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const m = SnapshotSchema.safeParse(json);
  if (!m.success) {
    const i = m.error.issues[0]!;
    return { ok: false, error: `${i.path.join(".") || "(top)"}: ${i.message}` };
  }
  const neighbors: SnapshotNeighbor[] = [];
  for (const [ni, n] of m.data.neighbors.entries()) {
    const address = parseAddress(n.address);
    if (!address.ok || address.value.text !== n.address) return { ok: false, error: `neighbors.${ni}.address: not a canonical address` };
    const routes: SnapshotRoute[] = [];
    for (const [ri, [p, pathId, nh, med, localPref, communities]] of n.routes.entries()) {
      const prefix = parsePrefix(p);
      const nexthop = parseAddress(nh);
      if (!prefix.ok || prefix.value.text !== p) return { ok: false, error: `neighbors.${ni}.routes.${ri}: prefix ${JSON.stringify(p)} is not canonical` };
      if (!nexthop.ok) return { ok: false, error: `neighbors.${ni}.routes.${ri}: next hop ${JSON.stringify(nh)} is not an address` };
      routes.push({ prefix: prefix.value, pathId, nexthop: nexthop.value.text, med: med ?? undefined, localPref: localPref ?? undefined, communities });
    }
    neighbors.push({ address: n.address, refresh: n.refresh ?? undefined, families: n.families ?? undefined, routes });
  }
  return { ok: true, value: { communityAsn: m.data.community_asn, exabgp: m.data.exabgp ?? undefined, pid: m.data.pid, final: m.data.final, neighbors } };
}

/** What the RIB holds, as a snapshot; `caps` says what each neighbor negotiated. */
export function snapshotOf(
  routes: Iterable<Route>,
  communityAsn: number,
  exabgp: string | undefined,
  caps: (neighbor: string) => { refresh?: RefreshCapability; families?: RefreshFamily[] },
  writer: { pid: number; final: boolean } = { pid: process.pid, final: false },
): Snapshot {
  const by = new Map<string, SnapshotRoute[]>();
  for (const r of routes) {
    let list = by.get(r.neighbor);
    if (list === undefined) by.set(r.neighbor, (list = []));
    list.push(r);
  }
  const neighbors = [...by].map(([address, list]) => {
    const c = caps(address);
    return { address, refresh: c.refresh, families: c.families, routes: list };
  });
  return { communityAsn, exabgp, ...writer, neighbors };
}
