// The listener's pipeline (Ingest with its prefilter → Rib → buildServices)
// against a simple reference model (JSON.parse + the zod specification + a
// Map), on valid streams interleaved with 100k mutated lines: no exception
// escapes, a line the specification refuses never moves the services map, and
// after every change (and every 64 lines) both maps are equal, backends too.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ingest } from "../../packages/listener/src/ingest.js";
import { Rib } from "../../packages/listener/src/rib.js";
import { buildServices } from "../../packages/listener/src/services.js";
import type { ModelServices } from "./model.js";
import { modelBackend, ReferenceModel } from "./model.js";
import { captureLines, mutate, seeded } from "./mutate.js";
import { Budget, timed } from "./budget.js";
import { ASN, validLine, validLineArb } from "./streams.js";

const MAX_LINES = Number(process.env.EXACAST_FUZZ_LINES ?? 100_000);
const SEED = Number(process.env.EXACAST_FUZZ_SEED ?? 20261123);

function realServices(rib: Rib): ModelServices {
  const m = buildServices(rib.routes());
  const backends: ModelServices["backends"] = {};
  for (const [port, list] of Object.entries(m.backends)) {
    backends[port] = list.map(modelBackend);
  }
  return { services: m.services, backends, ports: m.ports };
}

/** The real pipeline and the model side by side; throws (with the line) on the first difference. */
class Twin {
  readonly rib = new Rib({ communityAsn: ASN, maxRoutes: 1_000_000 });
  readonly ingest = new Ingest(this.rib, { staleGraceMs: 0 });
  readonly model = new ReferenceModel(ASN);
  lines = 0;
  compares = 0;
  changes = 0;

  feed(text: string): void {
    const n = ++this.lines;
    const before = this.rib.version;
    try {
      this.ingest.line(text, n);
    } catch (e) {
      throw new Error(`line ${n} threw ${(e as Error).stack}\n${text.slice(0, 2000)}`);
    }
    const outcome = this.model.line(text);
    if (outcome === "refused" && this.rib.version !== before) {
      throw new Error(`line ${n} is no valid message, yet it changed the RIB:\n${text.slice(0, 2000)}`);
    }
    if (this.rib.version !== before) this.changes++;
    if (outcome === "changed" || this.rib.version !== before || n % 64 === 0) this.compare(text);
  }

  compare(text: string): void {
    this.compares++;
    const real = realServices(this.rib);
    const want = this.model.services();
    if (JSON.stringify(real) !== JSON.stringify(want)) {
      expect(real, `services after line ${this.lines}:\n${text.slice(0, 2000)}`).toEqual(want);
    }
  }
}

describe("listener pipeline against a reference model", () => {
  it(`up to ${MAX_LINES} mutated lines interleaved with valid ones: nothing escapes, the maps stay equal`, () => {
    const captures = captureLines();
    const r = seeded(SEED);
    const t = new Twin();
    const budget = new Budget(MAX_LINES);
    let mutated = 0;
    let mutatedValid = 0;
    const t0 = performance.now();
    while (budget.more()) {
      if (r() < 0.5) t.feed(validLine(r));
      const seedLine = r() < 0.5 ? captures[Math.floor(r() * captures.length)]! : validLine(r);
      const line = mutate(r, seedLine);
      const validBefore = t.model.valid;
      t.feed(line);
      mutated++;
      if (t.model.valid > validBefore) mutatedValid++;
    }
    t.compare("(end)");
    const s = t.ingest.stats;
    console.log(
      `listener fuzz (seed ${SEED}): ${t.lines} lines (${mutated} mutated, ${mutatedValid} of them still valid messages), ` +
        `${t.changes} RIB changes, ${t.compares} map comparisons, prefilter skipped ${s.skipped}, ` +
        `rejected ${JSON.stringify(s.rejected)}, ${t.rib.size} routes held at the end, ${Math.round(performance.now() - t0)} ms`,
    );
    // The corpus must exercise every branch, or it proves little.
    expect(mutated).toBeGreaterThanOrEqual(1000);
    expect(mutatedValid).toBeGreaterThan(mutated / 20);
    expect(t.changes).toBeGreaterThan(mutated / 10);
    expect(s.skipped).toBeGreaterThan(mutated / 100);
    expect(s.rejected.not_json).toBeGreaterThan(mutated / 20);
    expect(s.rejected.not_exabgp).toBeGreaterThan(mutated / 20);
  });

  it("property (fast-check): any stream of valid and mutated lines gives the model's map after every line", () => {
    const captures = captureLines();
    const mutatedArb = fc
      .tuple(fc.integer(), fc.oneof(validLineArb, fc.constantFrom(...captures)))
      .map(([s, line]) => mutate(seeded(s), line));
    const lineArb = fc.oneof({ weight: 3, arbitrary: validLineArb }, { weight: 2, arbitrary: mutatedArb });
    let runs = 0;
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 60 }), (lines) => {
        runs++;
        const t = new Twin();
        for (const l of lines) {
          t.feed(l);
          t.compare(l);
        }
      }),
      timed(2000, 0.5),
    );
    expect(runs).toBeGreaterThanOrEqual(200);
  });
});
