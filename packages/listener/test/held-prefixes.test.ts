// The held-prefix set's fingerprint table may say "may be held" of anything,
// but never "not held" of a text it holds: through growth, removals and slots
// shared by more than 255 texts.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprintOf, HeldPrefixSet } from "../src/held-prefixes.js";

const prefix = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.constantFrom(24, 32)).map(([a, b, c, len]) => `${a}.${b}.${c}.${len === 32 ? 1 : 0}/${len}`);
const op = fc.tuple(fc.boolean(), prefix);

describe("HeldPrefixSet", () => {
  it("property: every held text's fingerprint is in the table; counts follow adds and removes", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const set = new HeldPrefixSet();
        const model = new Map<string, number>();
        for (const [add, text] of ops) {
          if (add) {
            set.add(text);
            model.set(text, (model.get(text) ?? 0) + 1);
          } else {
            set.remove(text);
            const n = model.get(text);
            if (n === 1) model.delete(text);
            else if (n !== undefined) model.set(text, n - 1);
          }
        }
        expect(set.size).toBe(model.size);
        for (const text of model.keys()) {
          expect(set.has(text)).toBe(true);
          expect(set.mayHold(fingerprintOf(text))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("tells most texts it does not hold apart without a lookup, and finds every one it holds as it grows", () => {
    const set = new HeldPrefixSet();
    const held = Array.from({ length: 10_000 }, (_, i) => `10.${i >> 8}.${i & 255}.1/32`);
    for (const t of held) set.add(t);
    expect(held.every((t) => set.mayHold(fingerprintOf(t)))).toBe(true);
    let maybe = 0;
    for (let i = 0; i < 10_000; i++) if (set.mayHold(fingerprintOf(`${1 + (i % 200)}.${i >> 8}.${i & 255}.0/24`))) maybe++;
    expect(maybe).toBeLessThan(3_000);
  });

  it("keeps a slot shared by more texts than a counter holds", () => {
    const set = new HeldPrefixSet();
    // Texts with equal fingerprints: "Aa" and "BB" hash alike under h·31 + c.
    const same = Array.from({ length: 512 }, (_, i) => [...i.toString(2).padStart(9, "0")].map((b) => (b === "0" ? "Aa" : "BB")).join(""));
    expect(new Set(same.map(fingerprintOf)).size).toBe(1);
    for (const t of same.slice(0, 256)) set.add(t);
    expect(set.mayHold(fingerprintOf(same[0]!))).toBe(true);
    for (const t of same.slice(256)) set.add(t);
    for (const t of same.slice(1)) set.remove(t);
    expect(set.mayHold(fingerprintOf(same[0]!))).toBe(true);
  });
});
