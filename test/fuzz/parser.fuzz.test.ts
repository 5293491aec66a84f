// 100k mutated capture lines through the core parser: no exception escapes,
// and the fast path never disagrees with the zod specification.

import { describe, expect, it } from "vitest";
import { parseLine, parseMessage, parseMessageWithZod } from "@exacast/core";
import { captureLines, mutations } from "./mutate.js";

const COUNT = 100_000;

describe("core parser under 100k mutated lines", () => {
  it("returns a value or an error for every line, never throws, agrees with zod", { timeout: 60_000 }, () => {
    const seeds = captureLines();
    let ok = 0;
    let errors = 0;
    for (const line of mutations(seeds, COUNT, 20261122)) {
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
    expect(ok + errors).toBe(COUNT);
    // Both outcomes must be exercised, or the corpus is not doing its job.
    expect(ok).toBeGreaterThan(COUNT / 20);
    expect(errors).toBeGreaterThan(COUNT / 5);
    console.log(`fuzzed ${COUNT} lines: ${ok} parsed, ${errors} refused`);
  });
});
