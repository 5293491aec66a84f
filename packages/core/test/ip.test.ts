import { describe, expect, it } from "vitest";
import { addressOf, comparePrefixes, parseAddress, parseIPv6, parsePrefix } from "../src/ip.js";

const prefix = (s: string) => {
  const r = parsePrefix(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe("parseAddress", () => {
  it.each([
    ["10.0.0.1", 4, "10.0.0.1"],
    ["0.0.0.0", 4, "0.0.0.0"],
    ["255.255.255.255", 4, "255.255.255.255"],
    ["2001:DB8::1", 6, "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1"],
    ["::", 6, "::"],
    ["::1", 6, "::1"],
    ["1::", 6, "1::"],
    ["2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", 6, "2001:0:0:1::1"],
    ["2001:db8:1:1:1:1:1:1", 6, "2001:db8:1:1:1:1:1:1"],
    ["2001:db8::1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1"],
    ["::ffff:192.0.2.1", 6, "::ffff:c000:201"],
    ["64:ff9b::1:192.0.2.1", 6, "64:ff9b::1:c000:201"],
  ] as const)("%s → IPv%i %s", (input, family, text) => {
    const r = parseAddress(input);
    expect(r).toMatchObject({ ok: true, value: { family, text } });
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.4 ",
    " 1.2.3.4",
    "1.2.3.4\n",
    "1.2.3.-1",
    "a.b.c.d",
    ":::",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "g::1",
    "fe80::1%eth0",
    "::1.2.3",
    "1:2:3:4:5:6:7:1.2.3.4",
    ":1",
    "1:",
  ])("refuses %j", (input) => {
    expect(parseAddress(input).ok).toBe(false);
  });

  it("handles every position of a :: run", () => {
    for (let i = 0; i <= 8; i++) {
      const groups = ["1", "2", "3", "4", "5", "6", "7", "8"];
      const text = [...groups.slice(0, i), "", ...groups.slice(i + 1)].join(":");
      const g = parseIPv6(text.startsWith(":") ? ":" + text : text.endsWith(":") ? text + ":" : text);
      if (g) expect(g.filter((x) => x === 0).length).toBeGreaterThanOrEqual(1);
    }
    expect(parseIPv6("1:2:3:4:5:6:7::")).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
    expect(parseIPv6("::2:3:4:5:6:7:8")).toEqual([0, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("parsePrefix", () => {
  it("accepts prefixes and canonicalises them", () => {
    expect(prefix("10.255.255.1/32").text).toBe("10.255.255.1/32");
    expect(prefix("2001:DB8::123/128").text).toBe("2001:db8::123/128");
    expect(prefix("10.0.0.0/8")).toMatchObject({ family: 4, address: "10.0.0.0", length: 8 });
    expect(prefix("0.0.0.0/0").length).toBe(0);
    expect(prefix("::/0").text).toBe("::/0");
  });

  it("treats a bare address as a host prefix", () => {
    expect(prefix("10.1.2.3").text).toBe("10.1.2.3/32");
    expect(prefix("2001:db8::1").text).toBe("2001:db8::1/128");
  });

  it.each([
    "1.2.3.4/33",
    "2001:db8::/129",
    "10.0.0.1/24",
    "2001:db8::1/64",
    "10.0.0.0/",
    "10.0.0.0/08",
    "10.0.0.0/-1",
    "10.0.0.0/8/8",
    "1.2.3.4/32\nannounce route 6.6.6.6/32",
    "1.2.3.4/32 next-hop 6.6.6.6",
    "10.0.0.0/8 ",
  ])("refuses %j", (input) => {
    const r = parsePrefix(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("invalid");
  });

  it("refuses non-strings without throwing", () => {
    expect(parsePrefix(42 as unknown as string).ok).toBe(false);
    expect(parsePrefix(null as unknown as string).ok).toBe(false);
  });
});

describe("comparePrefixes", () => {
  it("orders IPv4 before IPv6, numerically, shorter first", () => {
    const input = ["2001:db8::2/128", "10.0.0.10/32", "2001:802::123/128", "10.0.0.9/32", "10.0.0.0/8", "1.1.1.1/32", "::/0"];
    const sorted = input.map(prefix).sort(comparePrefixes).map((p) => p.text);
    expect(sorted).toEqual(["1.1.1.1/32", "10.0.0.0/8", "10.0.0.9/32", "10.0.0.10/32", "::/0", "2001:802::123/128", "2001:db8::2/128"]);
  });
});

describe("addressOf", () => {
  it("drops the length", () => {
    expect(addressOf("2001:802::123/128")).toBe("2001:802::123");
    expect(addressOf("1.1.1.1/32")).toBe("1.1.1.1");
    expect(addressOf("1.1.1.1")).toBe("1.1.1.1");
  });
});

describe("IPv4 prefix fast path", () => {
  it("property: same value as the general parser's definition", async () => {
    const fc = (await import("fast-check")).default;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), (v, len) => {
        const masked = len === 0 ? 0 : (v >>> (32 - len)) * 2 ** (32 - len);
        const addr = [24, 16, 8, 0].map((s) => (masked >>> s) & 255).join(".");
        const r = parsePrefix(`${addr}/${len}`);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const hex = masked.toString(16).padStart(8, "0");
        expect(r.value).toEqual({ family: 4, address: addr, length: len, text: `${addr}/${len}`, sortKey: `4${hex}${"0".repeat(24)}${len.toString(16).padStart(2, "0")}` });
        if (len < 32 && masked + 1 < 2 ** 32) {
          const host = [24, 16, 8, 0].map((s) => ((masked + 1) >>> s) & 255).join(".");
          expect(parsePrefix(`${host}/${len}`).ok).toBe(false);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
