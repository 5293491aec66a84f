// One cause, one log line: repeated failures are counted and reminded at most
// once a minute; a new cause is logged at once; a success ends the failure.

import { describe, expect, it } from "vitest";
import { causeOf, FailureLog } from "../src/failure-log.js";

describe("failure log", () => {
  it("logs the first failure, stays quiet on repeats, reminds once a minute with the count", () => {
    const f = new FailureLog(60_000);
    const cause = causeOf("write", "ENOSPC: no space left on device, write");
    expect(f.failed(cause, 0)).toEqual({ log: "first" });
    for (let t = 1000; t < 60_000; t += 1000) expect(f.failed(cause, t)).toEqual({ log: "none" });
    expect(f.failed(cause, 60_000)).toEqual({ log: "reminder", failures: 61, sinceMs: 60_000 });
    expect(f.failed(cause, 61_000)).toEqual({ log: "none" });
    expect(f.failed(cause, 120_000)).toEqual({ log: "reminder", failures: 63, sinceMs: 120_000 });
    expect(f.succeeded(130_000)).toEqual({ cause, failures: 63, afterMs: 130_000 });
    expect(f.succeeded(131_000)).toBeUndefined();
    expect(f.failed(cause, 140_000)).toEqual({ log: "first" });
  });

  it("a different cause is logged at once", () => {
    const f = new FailureLog();
    expect(f.failed(causeOf("write", "EROFS: read-only file system"), 0).log).toBe("first");
    expect(f.failed(causeOf("write", "ENOSPC: no space left on device"), 10).log).toBe("first");
    expect(f.failed(causeOf("check", "check exit 127: sh: 1: /x: not found"), 20).log).toBe("first");
    expect(f.failures).toBe(1);
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
});
