// Route attributes beyond communities, MED and LOCAL_PREF, as ExaBGP's
// healthcheck users set them: large and extended communities, origin, AS
// path, the ADD-PATH path id, and the ExaBGP neighbors a VIP is announced to
// (`neighbor X announce …`). Set at the top level as every app's default, or
// per app; all go through core's validators and command builder.
//
// Several apps on one VIP make one route: the union of their communities,
// the most preferred origin (igp, egp, incomplete) and the shortest AS path
// any of them asks for, the lowest path id, and the union of their neighbors
// (any app asking for every neighbor wins) — none depends on app order.

import type { ExtendedCommunity, IpAddress, LargeCommunity, Origin } from "@exacast/core";
import { ORIGINS, addressSchema, compareExtendedCommunities, formatLargeCommunity, largeCommunitySchema, parseExtendedCommunity, u32Schema } from "@exacast/core";
import { z } from "zod";

export interface RouteAttributes {
  readonly largeCommunities: readonly LargeCommunity[];
  readonly extendedCommunities: readonly ExtendedCommunity[];
  readonly origin: Origin | null;
  readonly asPath: readonly number[];
  readonly pathId: number | null;
  /** Empty: every neighbor of the ExaBGP that runs us. */
  readonly neighbors: readonly IpAddress[];
}

export const NO_ATTRIBUTES: RouteAttributes = { largeCommunities: [], extendedCommunities: [], origin: null, asPath: [], pathId: null, neighbors: [] };

const extendedCommunitySchema = z.string().transform((v, ctx): ExtendedCommunity => {
  const r = parseExtendedCommunity(v);
  if (!r.ok) {
    ctx.addIssue({ code: "custom", message: r.error });
    return z.NEVER;
  }
  return r.value;
});

const asnSchema = z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 0xffffffff, "expected an AS number 1..4294967295");

/** The keys, for the app schema and the file's top level. */
export const attributeShape = {
  large_communities: z.array(largeCommunitySchema).max(64, "at most 64 large communities").optional(),
  extended_communities: z.array(extendedCommunitySchema).max(64, "at most 64 extended communities").optional(),
  origin: z.enum(ORIGINS as [Origin, ...Origin[]], { error: "expected igp, egp or incomplete" }).optional(),
  as_path: z.array(asnSchema).max(32, "at most 32 AS numbers").optional(),
  path_id: u32Schema.nullable().optional(),
  neighbors: z.array(addressSchema).max(64, "at most 64 neighbors").optional(),
};

export interface AttributeInput {
  large_communities?: LargeCommunity[];
  extended_communities?: ExtendedCommunity[];
  origin?: Origin;
  as_path?: number[];
  path_id?: number | null;
  neighbors?: IpAddress[];
}

/** A level's keys over `base`. */
export function resolveAttributes(a: AttributeInput, base: RouteAttributes): RouteAttributes {
  return {
    largeCommunities: a.large_communities ?? base.largeCommunities,
    extendedCommunities: a.extended_communities ?? base.extendedCommunities,
    origin: a.origin ?? base.origin,
    asPath: a.as_path ?? base.asPath,
    pathId: a.path_id === undefined ? base.pathId : a.path_id,
    neighbors: a.neighbors ? uniqueAddresses(a.neighbors) : base.neighbors,
  };
}

/** The attributes of one route held by these apps' attributes. */
export function mergeAttributes(list: readonly RouteAttributes[]): RouteAttributes {
  if (list.length === 1) return list[0]!;
  let origin: Origin | null = null;
  let asPath: readonly number[] | null = null;
  let pathId: number | null = null;
  for (const a of list) {
    if (a.origin !== null && (origin === null || ORIGINS.indexOf(a.origin) < ORIGINS.indexOf(origin))) origin = a.origin;
    if (asPath === null || shorter(a.asPath, asPath)) asPath = a.asPath;
    if (a.pathId !== null) pathId = pathId === null ? a.pathId : Math.min(pathId, a.pathId);
  }
  const everyNeighbor = list.some((a) => a.neighbors.length === 0);
  return {
    largeCommunities: uniqueBy(list.flatMap((a) => a.largeCommunities), formatLargeCommunity, (x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]),
    extendedCommunities: uniqueBy(list.flatMap((a) => a.extendedCommunities), (c) => `${c.type}:${c.global}:${c.local}`, compareExtendedCommunities),
    origin,
    asPath: asPath ?? [],
    pathId,
    neighbors: everyNeighbor ? [] : uniqueAddresses(list.flatMap((a) => a.neighbors)),
  };
}

function shorter(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return a.length < b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function uniqueBy<T>(list: readonly T[], key: (t: T) => string, compare: (a: T, b: T) => number): T[] {
  const m = new Map<string, T>();
  for (const t of list) m.set(key(t), t);
  return [...m.values()].sort(compare);
}

/** IPv4 before IPv6, then numeric. */
const compareAddresses = (a: IpAddress, b: IpAddress) => a.family - b.family || (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0);
const uniqueAddresses = (list: readonly IpAddress[]) => uniqueBy(list, (a) => a.text, compareAddresses);
