import { describe, expect, it } from "vitest";
import { HttpError } from "./decode.js";
import { blockingWaitMs, DEFAULT_WAIT_MS, MAX_WAIT_MS, parseGoBool, parseGoDuration } from "./duration.js";
import { compileFilter } from "./filter.js";

describe("parseGoDuration (Go's time.ParseDuration)", () => {
  it("reads what Go reads", () => {
    const cases: [string, number][] = [
      ["10s", 10_000], ["5m", 300_000], ["1m30s", 90_000], ["250ms", 250], ["1.5h", 5_400_000], [".5s", 500], ["1.s", 1000],
      ["0", 0], ["-2s", -2000], ["+3ms", 3], ["1500us", 1.5], ["1\u00b5s", 0.001], ["2ns", 0.000002], ["1h2m3s4ms", 3_723_004],
    ];
    for (const [text, ms] of cases) expect(parseGoDuration(text), text).toBeCloseTo(ms, 9);
  });

  it("refuses what Go refuses", () => {
    for (const text of ["", "10", "s", "1x", "1 s", ".s", "1s2", "ten", "-", "1d"]) expect(parseGoDuration(text), text).toBeUndefined();
  });
});

describe("blockingWaitMs", () => {
  it("defaults to 5 min, caps at 10 min and adds less than wait/16 of jitter", () => {
    expect(blockingWaitMs(undefined, () => 0)).toBe(DEFAULT_WAIT_MS);
    expect(blockingWaitMs(-5, () => 0)).toBe(DEFAULT_WAIT_MS);
    expect(blockingWaitMs(60 * 60_000, () => 0)).toBe(MAX_WAIT_MS);
    expect(blockingWaitMs(1600, () => 0.999_999)).toBe(1699);
    expect(blockingWaitMs(1600, () => 0.5)).toBe(1650);
  });
});

describe("parseGoBool", () => {
  it("knows Go's spellings", () => {
    expect(["1", "t", "TRUE", "True", "true"].map(parseGoBool)).toEqual([true, true, true, true, true]);
    expect(["0", "f", "FALSE", "false"].map(parseGoBool)).toEqual([false, false, false, false]);
    expect(["yes", "", "tRUE"].map(parseGoBool)).toEqual([undefined, undefined, undefined]);
  });
});

describe("compileFilter (the ?filter= subset)", () => {
  const svc = { ID: "web1", Service: "web", Tags: ["exacast", "v2"], Port: 80, Meta: { exacast_check: "tcp" }, EnableTagOverride: false };

  it("evaluates ==, !=, in, not in, contains, is empty, joined by and", () => {
    const yes = [
      "", 'Service == "web"', "Service == web", "Port == 80", "EnableTagOverride == false", '"exacast" in Tags', '"v1" not in Tags',
      'Tags contains "v2"', 'Meta.exacast_check == "tcp"', '"exacast_check" in Meta', "Address is empty", "Tags is not empty",
      'Service == "web" and "exacast" in Tags and Port != 81',
    ];
    for (const f of yes) expect(compileFilter(f)(svc), f).toBe(true);
    const no = ['Service != "web"', '"v1" in Tags', 'Meta.exacast_check == "http"', "Tags is empty", 'Service == "web" and Port == 81'];
    for (const f of no) expect(compileFilter(f)(svc), f).toBe(false);
  });

  it("refuses the rest of the language with an emulator 400", () => {
    for (const f of ['Service == "a" or Service == "b"', '(Service == "web")', 'Service matches "w.*"', "not Port == 80", "Service =="]) {
      expect(() => compileFilter(f), f).toThrow(HttpError);
      try {
        compileFilter(f);
      } catch (e) {
        expect((e as HttpError).status).toBe(400);
        expect((e as HttpError).message).toMatch(/^emulator: unsupported filter expression/);
      }
    }
  });
});
