// One cause, one log line: repeated failures are counted and reminded at most
// once a window; a new cause is logged at once; a success ends the failure.
// Floods of one event are cut to a burst a window, then counted.

import { createLogger } from "@exacast/core";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../src/fake-clock.js";
import { causeOf, LogThrottle } from "../src/log-throttle.js";

function setup(opts = {}) {
  const clock = new FakeClock();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ program: "t", format: "json", level: "debug", write: (l) => void lines.push(JSON.parse(l)) });
  return { clock, lines, t: new LogThrottle(log, clock, opts), at: (ms: number) => clock.advance(ms - clock.now()) };
}

describe("log throttle", () => {
  it("logs the first failure, stays quiet on repeats, reminds once a minute with the count, logs the recovery", async () => {
    const s = setup();
    const cause = causeOf("write", "ENOSPC: no space left on device, write");
    s.t.failed("write_failed", cause, { file: "f" });
    for (let t = 1000; t < 60_000; t += 1000) {
      await s.at(t);
      s.t.failed("write_failed", cause, { file: "f" });
    }
    expect(s.lines).toEqual([expect.objectContaining({ level: "error", event: "write_failed", file: "f" })]);
    await s.at(60_000);
    s.t.failed("write_failed", cause, { file: "f" });
    await s.at(61_000);
    s.t.failed("write_failed", cause, { file: "f" });
    expect(s.lines).toHaveLength(2);
    expect(s.lines[1]).toMatchObject({ event: "write_failed", still_failing: true, failures: 61, since_ms: 60_000 });
    expect(s.t.failures).toBe(62);
    await s.at(130_000);
    s.t.succeeded("recovered", { file: "f" });
    s.t.succeeded("recovered", { file: "f" });
    expect(s.lines.slice(2)).toEqual([expect.objectContaining({ level: "info", event: "recovered", file: "f", failures: 62, after_ms: 130_000, cause })]);
    s.t.failed("write_failed", cause, { file: "f" });
    expect(s.lines).toHaveLength(4);
  });

  it("a different cause is logged at once", () => {
    const s = setup();
    s.t.failed("e", causeOf("write", "EROFS: read-only file system"), {});
    s.t.failed("e", causeOf("write", "ENOSPC: no space left on device"), {});
    s.t.failed("e", causeOf("check", "check exit 127: sh: 1: /x: not found"), {});
    expect(s.lines).toHaveLength(3);
    expect(s.t.failures).toBe(1);
  });

  it("temporary file names and numbers do not make a new cause", () => {
    const a = causeOf("write", "EROFS: read-only file system, open '/etc/lb/.out.cfg.exacast-4242-7.tmp'");
    const b = causeOf("write", "EROFS: read-only file system, open '/etc/lb/.out.cfg.exacast-4242-8.tmp'");
    expect(a).toBe(b);
    expect(causeOf("check", "check exit 1: [ALERT] (1234) : config : parsing [/tmp/x.tmp:12]")).toBe(
      causeOf("check", "check exit 1: [ALERT] (1240) : config : parsing [/tmp/x.tmp:13]"),
    );
    expect(causeOf("check", "check exit 1: x")).not.toBe(causeOf("reload", "reload exit 1: x"));
  });

  it("a flood: `burst` lines a window, then one line with the count of those not logged", async () => {
    const s = setup({ burst: 3 });
    for (let i = 1; i <= 10; i++) s.t.often("warn", "line_skipped", { line: i }, "lines_not_logged");
    expect(s.lines.map((l) => l.line)).toEqual([1, 2, 3]);
    await s.at(59_999);
    s.t.often("warn", "line_skipped", { line: 11 }, "lines_not_logged");
    expect(s.lines).toHaveLength(3);
    await s.at(60_000);
    s.t.often("warn", "line_skipped", { line: 12 }, "lines_not_logged");
    expect(s.lines.slice(3)).toEqual([
      expect.objectContaining({ level: "warn", event: "lines_not_logged", count: 8 }),
      expect.objectContaining({ level: "warn", event: "line_skipped", line: 12 }),
    ]);
  });
});
