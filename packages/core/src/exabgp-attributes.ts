// The route attributes exacast carries but decides nothing on (origin, AS
// path, AS set, large and extended communities), read from every shape an
// ExaBGP writes them in. A shape not known here does not cost the route: the
// attribute is left out and reported with its path, so a change of form in a
// new ExaBGP cannot empty the rendered files (5.0 turned `as-path` from a list
// into an object of segments, and a stricter reader refused every announce).
//
// SoftAttributeSchemas (exabgp-schema.ts) is the specification; these hand
// readers run on every announce, where zod would cost more than JSON.parse,
// and a property test (exabgp-attributes.test.ts) holds them to the schemas.

import type { SoftAttribute } from "./exabgp-schema.js";
import { AS_PATH_SEGMENTS } from "./exabgp-schema.js";
import type { Result } from "./result.js";
import { err, ok } from "./result.js";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isU32 = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const SEGMENT_KEY = /^(?:0|[1-9]\d{0,8})$/;
const SEGMENTS: ReadonlySet<unknown> = new Set(AS_PATH_SEGMENTS);

function u32List(v: unknown): v is number[] {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!isU32(x)) return false;
  return true;
}

/** 4.2: `[65000, 64999]`; 5.0 and 6: `{"0": {"element": "as-sequence", "value": [65000, 64999]}}`. */
export function readAsPath(v: unknown): Result<number[]> {
  if (Array.isArray(v)) return u32List(v) ? ok(v) : err("expected a list of AS numbers or an object of segments");
  if (!isObj(v)) return err("expected a list of AS numbers or an object of segments");
  const out: number[] = [];
  for (const key in v) {
    // zod's record skips a `__proto__` key (JSON.parse makes it an own property): so does this.
    if (key === "__proto__") continue;
    const seg = v[key];
    if (!SEGMENT_KEY.test(key)) return err(`segment key ${JSON.stringify(key)} is not a position`);
    if (!isObj(seg) || !SEGMENTS.has(seg.element) || !u32List(seg.value)) {
      return err(`segment ${key}: expected { element: ${AS_PATH_SEGMENTS.join("|")}, value: [AS numbers] }`);
    }
    if (seg.element === "as-sequence") out.push(...seg.value);
  }
  return ok(out);
}

function readLarge(v: unknown): Result<[number, number, number][]> {
  if (!Array.isArray(v)) return err("expected a list of [asn, value, value]");
  for (const t of v) if (!Array.isArray(t) || t.length !== 3 || !isU32(t[0]) || !isU32(t[1]) || !isU32(t[2])) return err("expected a list of [asn, value, value]");
  return ok(v as [number, number, number][]);
}

function readExtended(v: unknown): Result<string[]> {
  if (!Array.isArray(v)) return err('expected a list of { "value": n, "string": s }');
  const out: string[] = [];
  for (const e of v) {
    if (!isObj(e) || (e.value !== undefined && typeof e.value !== "number") || (e.string !== undefined && typeof e.string !== "string")) {
      return err('expected a list of { "value": n, "string": s }');
    }
    out.push(e.string ?? String(e.value ?? ""));
  }
  return ok(out);
}

/** The readers, by attribute name: the same answers as SoftAttributeSchemas[name].safeParse. */
export const softAttributeReaders: { readonly [K in SoftAttribute]: (v: unknown) => Result<unknown> } = {
  origin: (v) => (typeof v === "string" ? ok(v) : err("expected a string")),
  "as-path": readAsPath,
  "as-set": (v) => (u32List(v) ? ok(v) : err("expected a list of AS numbers")),
  "large-community": readLarge,
  "extended-community": readExtended,
};
