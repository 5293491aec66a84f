// stdin as both programs read it (core's readLines: UTF-8 decoding, line
// splitting, the 1 MB cap) under any chunking of any bytes: invalid UTF-8 cut
// across chunks, NUL, CR, overlong lines. Property: what is delivered equals
// decoding the whole stream at once and splitting it by hand.

import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readLines } from "@exacast/core";
import { timed } from "./budget.js";

type Event = [kind: "line" | "oversize", lineNo: number, text: string | number];

async function delivered(chunks: Buffer[], max: number): Promise<Event[]> {
  const out: Event[] = [];
  await readLines(
    Readable.from(chunks),
    { line: (t, n) => out.push(["line", n, t]), oversize: (n, len) => out.push(["oversize", n, len]) },
    max,
  );
  return out;
}

/** By hand: decode everything, split on LF, drop one CR before it, skip empty lines, refuse long ones. */
function reference(bytes: Buffer, max: number): Event[] {
  const pieces = bytes.toString("utf8").split("\n");
  const out: Event[] = [];
  pieces.forEach((p, i) => {
    if (i === pieces.length - 1 && p === "") return;
    if (p.length > max) out.push(["oversize", i + 1, p.length]);
    else if (p.replace(/\r$/, "") !== "") out.push(["line", i + 1, p.replace(/\r$/, "")]);
  });
  return out;
}

const byte = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x0d, 0x00) },
  { weight: 3, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
);
const utf8 = fc.string({ unit: "grapheme", maxLength: 8 }).map((s) => [...Buffer.from(s, "utf8")]);
const stream = fc.array(fc.oneof(byte.map((b) => [b]), utf8), { maxLength: 120 }).map((parts) => Buffer.from(parts.flat()));

function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) chunks.push(bytes.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  return chunks;
}

describe("readLines under any bytes and any chunking", () => {
  it("property: delivers what decoding the whole stream and splitting it gives", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(stream, fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom(4, 16, 1 << 20), async (bytes, at, max) => {
        runs++;
        expect(await delivered(cut(bytes, at), max)).toEqual(reference(bytes, max));
      }),
      timed(3000, 0.5),
    );
    expect(runs).toBeGreaterThanOrEqual(300);
  });

  it("a 5 MB line between two good ones is reported with its length, the next line is read", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x41);
    const bytes = Buffer.concat([Buffer.from("first\n"), big, Buffer.from("\nlast\n")]);
    const chunks = cut(bytes, Array.from({ length: 40 }, (_, i) => i * 131_071));
    expect(await delivered(chunks, 1 << 20)).toEqual([
      ["line", 1, "first"],
      ["oversize", 2, big.length],
      ["line", 3, "last"],
    ]);
  });
});
