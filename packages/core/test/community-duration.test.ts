import { describe, expect, it } from "vitest";
import {
  compareCommunities,
  formatCommunity,
  isCommunityAsn,
  isGracefulShutdown,
  parseCommunity,
  parseLargeCommunity,
  serviceCommunity,
  servicePort,
} from "../src/community.js";
import { formatDuration, parseDuration } from "../src/duration.js";

describe("community codec", () => {
  it("round-trips service communities", () => {
    expect(formatCommunity(serviceCommunity(12345, 443))).toBe("12345:443");
    expect(servicePort([12345, 443], 12345)).toBe(443);
    expect(servicePort([65000, 1], 12345)).toBeNull();
    expect(servicePort([12345, 0], 12345)).toBeNull();
  });

  it("range-checks ASN and port", () => {
    expect(() => serviceCommunity(0, 443)).toThrow(RangeError);
    expect(() => serviceCommunity(65535, 443)).toThrow(RangeError);
    expect(() => serviceCommunity(12345, 0)).toThrow(RangeError);
    expect(() => serviceCommunity(12345, 65536)).toThrow(RangeError);
    expect(isCommunityAsn(1)).toBe(true);
    expect(isCommunityAsn(65534)).toBe(true);
    expect(isCommunityAsn(1.5)).toBe(false);
  });

  it("parses standard and large communities", () => {
    expect(parseCommunity("65000:100")).toEqual({ ok: true, value: [65000, 100] });
    expect(parseCommunity("65535:0").ok && isGracefulShutdown([65535, 0])).toBe(true);
    for (const bad of ["65536:1", "1:65536", "1", "1:2:3", "-1:2", "a:b", "1:2 ", "01:2", "1:2\n3:4"]) {
      expect(parseCommunity(bad).ok, bad).toBe(false);
    }
    expect(parseLargeCommunity("4294967295:1:2")).toEqual({ ok: true, value: [4294967295, 1, 2] });
    expect(parseLargeCommunity("4294967296:1:2").ok).toBe(false);
    expect(parseLargeCommunity("1:2").ok).toBe(false);
  });

  it("orders communities numerically", () => {
    const list: [number, number][] = [[12345, 8080], [12345, 80], [65000, 1], [12345, 443]];
    expect(list.sort(compareCommunities).map(formatCommunity)).toEqual(["12345:80", "12345:443", "12345:8080", "65000:1"]);
  });
});

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["2s", 2000],
    ["1.5s", 1500],
    ["5m", 300_000],
    ["1h", 3_600_000],
    [2, 2000],
    [0.25, 250],
    [0, 0],
    ["0s", 0],
  ] as const)("%j → %i ms", (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: ms });
  });

  it.each(["", "2", "2 s", "s", "-1s", "2d", "1e3ms", "25h", -1, Number.NaN, Infinity, null, {}])("refuses %j", (input) => {
    const r = parseDuration(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/duration/);
  });

  it("formats back", () => {
    expect([250, 2000, 300_000, 3_600_000, 1500].map(formatDuration)).toEqual(["250ms", "2s", "5m", "1h", "1500ms"]);
  });
});
