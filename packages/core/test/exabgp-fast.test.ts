import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMessage, parseMessageWithZod } from "../src/exabgp-parse.js";

const load = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
// Every capture: ExaBGP 4.2, 5.0 and 6 (API v4 and v6) through every router.
const seeds = readdirSync(new URL("../../../test/fixtures/", import.meta.url))
  .filter((f) => f.endsWith(".ndjson"))
  .flatMap(load);

type Path = (string | number)[];
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function edit(v: unknown, path: Path, op: "set" | "delete", value: unknown): unknown {
  if (path.length === 0) return op === "set" ? value : undefined;
  const [head, ...rest] = path;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  if (rest.length === 0 && op === "delete") {
    if (Array.isArray(copy)) (copy as unknown[]).splice(head as number, 1);
    else delete copy[head!];
  } else copy[head!] = edit(copy[head!], rest, op, value);
  return copy;
}

// Replacement values biased towards what breaks validators.
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, -1, 1.5, 65536, 2 ** 32, "1.2.3.4/33", "10.0.0.1/32\n", "::", "0.0.0.1", [], {}, [12345], [1, 2, 3], "update", "receive", "send"),
);

describe("fast path agrees with the zod specification", () => {
  it("on every fixture line", () => {
    for (const s of seeds) expect(parseMessage(s)).toEqual(parseMessageWithZod(s));
  });

  it("property: on mutated fixture messages", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom("set" as const, "delete" as const), nasty), { minLength: 1, maxLength: 3 }),
        (seed, edits) => {
          let m: unknown = seed;
          for (const [pick, op, value] of edits) {
            const all = paths(m);
            m = edit(m, all[pick % all.length]!, op, value);
          }
          expect(parseMessage(m)).toEqual(parseMessageWithZod(m));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
