import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { LineSplitter, readLines } from "../src/lines.js";
import { createLogger } from "../src/log.js";

function split(chunks: string[], max = 20) {
  const lines: [number, string][] = [];
  const oversize: [number, number][] = [];
  const s = new LineSplitter({ line: (t, n) => lines.push([n, t]), oversize: (n, len) => oversize.push([n, len]) }, max);
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, oversize };
}

describe("LineSplitter", () => {
  it("splits across chunk boundaries and numbers lines, blanks counted", () => {
    expect(split(["ab", "c\nde", "f\n\n", "g"]).lines).toEqual([
      [1, "abc"],
      [2, "def"],
      [4, "g"],
    ]);
  });

  it("strips CR", () => {
    expect(split(["a\r\nb\r\n"]).lines).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
  });

  it("skips an oversize line without holding it, then carries on", () => {
    const r = split(["short\n", "x".repeat(15), "x".repeat(15), "x".repeat(15), "\nafter\n"]);
    expect(r.lines).toEqual([
      [1, "short"],
      [3, "after"],
    ]);
    expect(r.oversize).toEqual([[2, 45]]);
  });

  it("skips an oversize line inside one chunk", () => {
    const r = split(["y".repeat(30) + "\nok\n"]);
    expect(r.oversize).toEqual([[1, 30]]);
    expect(r.lines).toEqual([[2, "ok"]]);
  });

  it("reads a stream with multi-byte characters split across chunks", async () => {
    const stream = new PassThrough();
    const got: string[] = [];
    const done = readLines(stream, { line: (t) => got.push(t) });
    const bytes = Buffer.from("héllo\nwörld\n", "utf8");
    stream.write(bytes.subarray(0, 2));
    stream.write(bytes.subarray(2, 9));
    stream.end(bytes.subarray(9));
    await done;
    expect(got).toEqual(["héllo", "wörld"]);
  });
});

describe("createLogger", () => {
  const fixed = () => new Date("2026-01-02T03:04:05.000Z");
  it("writes one text line per event, quoting what could forge a field or a line", () => {
    const out: string[] = [];
    const log = createLogger({ program: "t", write: (l) => out.push(l), now: fixed });
    log.info("route added", { prefix: "10.0.0.1/32", name: "a b\nfake=1", n: 3 });
    expect(out).toEqual(['2026-01-02T03:04:05.000Z INFO  "route added" prefix=10.0.0.1/32 name="a b\\nfake=1" n=3\n']);
  });

  it("writes JSON lines on request and filters by level", () => {
    const out: string[] = [];
    const log = createLogger({ program: "t", format: "json", level: "warn", write: (l) => out.push(l), now: fixed }).child({ app: "web" });
    log.info("hidden");
    log.warn("check failed", { reason: new Error("refused") });
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toEqual({ time: "2026-01-02T03:04:05.000Z", level: "warn", program: "t", event: "check failed", app: "web", reason: "refused" });
  });
});
