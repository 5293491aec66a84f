// The hand readers of the attributes exacast only carries agree with their
// zod specification on every value: the same accepted shapes, the same result.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readAsPath, softAttributeReaders } from "../src/exabgp-attributes.js";
import type { SoftAttribute } from "../src/exabgp-schema.js";
import { SoftAttributeSchemas } from "../src/exabgp-schema.js";

const u32 = fc.oneof(fc.nat({ max: 70000 }), fc.constantFrom(0, 4294967295, 4294967296, -1, 1.5, Number.NaN));
const element = fc.constantFrom("as-sequence", "as-set", "as-confed-sequence", "as-confed-set", "as-wormhole", "", 7);
const key = fc.oneof(fc.nat({ max: 12 }).map(String), fc.constantFrom("01", "-1", "x", "__proto__", "4294967295", "1e2"));
const segment = fc.oneof(
  fc.record({ element, value: fc.array(u32, { maxLength: 4 }) }),
  fc.record({ element, value: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
  fc.record({ element, value: fc.array(u32, { maxLength: 2 }), extra: fc.jsonValue({ maxDepth: 1 }) }),
);
const shapes: Record<SoftAttribute, fc.Arbitrary<unknown>> = {
  origin: fc.oneof(fc.constantFrom("igp", "egp", "incomplete"), fc.jsonValue({ maxDepth: 1 })),
  "as-path": fc.oneof(fc.array(u32, { maxLength: 5 }), fc.dictionary(key, segment, { maxKeys: 4 }), fc.jsonValue({ maxDepth: 2 })),
  "as-set": fc.oneof(fc.array(u32, { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
  "large-community": fc.oneof(fc.array(fc.array(u32, { minLength: 2, maxLength: 4 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
  "extended-community": fc.oneof(
    fc.array(fc.record({ value: fc.oneof(fc.integer(), fc.string()), string: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }), { maxLength: 3 }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
};

describe("soft attribute readers = SoftAttributeSchemas", () => {
  for (const name of Object.keys(shapes) as SoftAttribute[]) {
    it(`property: ${name}`, () => {
      fc.assert(
        fc.property(shapes[name], (v) => {
          // As JSON.parse would give it (no undefined, no NaN).
          const value = JSON.parse(JSON.stringify(v ?? null)) as unknown;
          const hand = softAttributeReaders[name](value);
          const spec = SoftAttributeSchemas[name].safeParse(value);
          expect(hand.ok).toBe(spec.success);
          if (hand.ok && spec.success) expect(hand.value).toEqual(spec.data);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it("reads every ExaBGP's AS path form to its sequence", () => {
    expect(readAsPath([65000, 64999])).toEqual({ ok: true, value: [65000, 64999] });
    expect(readAsPath({ "0": { element: "as-sequence", value: [64999, 65000] } })).toEqual({ ok: true, value: [64999, 65000] });
    expect(readAsPath({})).toEqual({ ok: true, value: [] });
    expect(readAsPath({ "0": { element: "as-set", value: [1] } })).toEqual({ ok: true, value: [] });
    expect(readAsPath("65000")).toMatchObject({ ok: false });
  });
});
