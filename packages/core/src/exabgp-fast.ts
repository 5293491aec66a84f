// A hand-specialised validator for the one message shape that dominates a
// listener's input: a received unicast `update`.
//
// The zod schemas in exabgp-schema.ts are the specification. This checker
// accepts a subset of what they accept (anything unusual returns undefined and
// the caller asks zod, which also writes the error message); a property test
// (exabgp-fast.test.ts) holds the two to the same answers. It exists because
// zod's generic walk costs more than JSON.parse itself on these lines.

import type { AttributesJson, NlriJson } from "./exabgp-schema.js";

export interface ValidUpdate {
  readonly peer: string;
  readonly attribute: AttributesJson | undefined;
  /** Unicast families only: family → next-hop → NLRIs. */
  readonly announce: Record<string, Record<string, NlriJson[]>>;
  /** Unicast families only: family → NLRIs. */
  readonly withdraw: Record<string, NlriJson[]>;
  /** `announce <family>` / `withdraw <family>` of the families not read, in the order zod meets them. */
  readonly otherFamilies: string[];
}

// Loose object types of JSON.parse output; every field is checked before use.
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isU16 = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff;
const isU32 = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const optString = (v: unknown): boolean => v === undefined || typeof v === "string";
const optU32 = (v: unknown): boolean => v === undefined || isU32(v);

function tupleList(v: unknown, size: 2, check: (x: unknown) => boolean): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v)) return false;
  for (const t of v) {
    if (!Array.isArray(t) || t.length !== size) return false;
    for (const x of t) if (!check(x)) return false;
  }
  return true;
}

// Origin, AS path and the other attributes exacast only carries are read
// later, by the readers both paths share (exabgp-attributes.ts).
function attributesOk(a: unknown): boolean {
  if (a === undefined) return true;
  if (!isObj(a)) return false;
  return optU32(a.med) && optU32(a["local-preference"]) && tupleList(a.community, 2, isU16);
}

function nlriListOk(v: unknown): v is NlriJson[] {
  if (!Array.isArray(v)) return false;
  for (const e of v) {
    if (typeof e === "string") continue;
    if (!isObj(e) || typeof e.nlri !== "string" || !optString(e["path-information"])) return false;
  }
  return true;
}

const UNICAST = new Set(["ipv4 unicast", "ipv6 unicast"]);
const NONE: string[] = [];

/** The validated parts of a received unicast update, or undefined: ask zod. */
export function fastUpdate(o: unknown): ValidUpdate | undefined {
  if (!isObj(o) || o.type !== "update" || typeof o.exabgp !== "string") return undefined;
  if (o.time !== undefined && typeof o.time !== "number") return undefined;
  if (o.counter !== undefined && typeof o.counter !== "number") return undefined;
  const nb = o.neighbor;
  if (!isObj(nb)) return undefined;
  const addr = nb.address;
  if (!isObj(addr) || typeof addr.local !== "string" || typeof addr.peer !== "string") return undefined;
  const asn = nb.asn;
  if (asn !== undefined && (!isObj(asn) || !optU32(asn.local) || !optU32(asn.peer))) return undefined;
  if (nb.direction !== undefined && nb.direction !== "receive") return undefined;
  if (!optString(nb.state) || !optString(nb.reason)) return undefined;
  const msg = nb.message;
  if (!isObj(msg) || msg.eor !== undefined) return undefined;
  const u = msg.update;
  if (!isObj(u) || !attributesOk(u.attribute)) return undefined;
  const announce: Record<string, Record<string, NlriJson[]>> = {};
  const withdraw: Record<string, NlriJson[]> = {};
  const withdrawn: string[] = [];
  const announced: string[] = [];
  if (u.announce !== undefined) {
    if (!isObj(u.announce)) return undefined;
    for (const family in u.announce) {
      if (!UNICAST.has(family)) {
        announced.push(`announce ${family}`);
        continue;
      }
      const byNh = u.announce[family];
      if (!isObj(byNh)) return undefined;
      for (const nh in byNh) if (!nlriListOk(byNh[nh])) return undefined;
      announce[family] = byNh as Record<string, NlriJson[]>;
    }
  }
  if (u.withdraw !== undefined) {
    if (!isObj(u.withdraw)) return undefined;
    for (const family in u.withdraw) {
      if (!UNICAST.has(family)) {
        withdrawn.push(`withdraw ${family}`);
        continue;
      }
      const list = u.withdraw[family];
      if (!nlriListOk(list)) return undefined;
      withdraw[family] = list;
    }
  }
  const otherFamilies = withdrawn.length + announced.length > 0 ? [...withdrawn, ...announced] : NONE;
  return { peer: addr.peer, attribute: u.attribute as AttributesJson | undefined, announce, withdraw, otherFamilies };
}
