// Mutated capture lines (up to 100k, within the fuzz budget) through the core
// parser: no exception escapes, and the fast path never disagrees with the
// zod specification.

import { describe, expect, it } from "vitest";
import { parseLine, parseMessage, parseMessageWithZod } from "@exacast/core";
import { Budget } from "./budget.js";
import { captureLines, mutations } from "./mutate.js";

describe("core parser under mutated lines", () => {
  it("returns a value or an error for every line, never throws, agrees with zod", () => {
    const seeds = captureLines();
    const budget = new Budget(100_000);
    let ok = 0;
    let errors = 0;
    for (const line of mutations(seeds, 100_000, 20261122)) {
      if (!budget.more()) break;
      const r = parseLine(line);
      if (r.ok) ok++;
      else errors++;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        continue;
      }
      const fast = parseMessage(json);
      const spec = parseMessageWithZod(json);
      if (fast.ok !== spec.ok) expect({ line: line.slice(0, 500), fast, spec }).toBeNull();
      if (fast.ok && spec.ok) expect(fast.value).toEqual(spec.value);
    }
    const count = budget.count;
    expect(ok + errors).toBe(count);
    expect(count).toBeGreaterThanOrEqual(1000);
    // Both outcomes must be exercised, or the corpus is not doing its job.
    expect(ok).toBeGreaterThan(count / 20);
    expect(errors).toBeGreaterThan(count / 5);
    console.log(`fuzzed ${count} lines: ${ok} parsed, ${errors} refused`);
  });
});
