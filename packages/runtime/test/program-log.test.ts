// A program's JSON logs through ndjson: one record a line, parsed back whole;
// a value that cannot be serialized does not throw from the log call; once
// the stream flows each record is written at once (a process.exit right
// after a log call loses nothing).

import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { programLogger } from "../src/program-log.js";

function capture() {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  return { out, text: () => chunks.join("") };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("program logger", () => {
  it("JSON: one object a line, the same fields as the text format", async () => {
    const c = capture();
    const log = programLogger({ program: "p", format: "json", level: "info" }, c.out);
    await tick();
    log.info("announce", { vip: "10.0.0.1/32", n: 2, error: new Error("boom") });
    log.debug("hidden");
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => log.warn("odd", { value: cyclic })).not.toThrow();
    const lines = c.text().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "info", program: "p", event: "announce", vip: "10.0.0.1/32", n: 2, error: "boom" });
    expect(lines[1]).toMatchObject({ level: "warn", event: "odd", value: { a: 1, self: "[Circular ~.value]" } });
  });

  it("text stays text", () => {
    const c = capture();
    programLogger({ program: "p" }, c.out).info("start", { apps: 3 });
    expect(c.text()).toMatch(/ INFO  start apps=3\n$/);
  });
});
