import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ANNOUNCE_LINE, buildAnnounce, buildWithdraw, inApi, isCommandLine, V6_ROUTE_LINE } from "../src/command.js";
import type { Community, LargeCommunity } from "../src/community.js";
import { parseCommunity, parseLargeCommunity } from "../src/community.js";
import type { IpAddress, Prefix } from "../src/ip.js";
import { parseAddress, parsePrefix } from "../src/ip.js";

const prefix = (s: string) => (parsePrefix(s) as { value: Prefix }).value;
const address = (s: string) => (parseAddress(s) as { value: IpAddress }).value;

describe("buildAnnounce / buildWithdraw", () => {
  it("writes the contract's announce line", () => {
    const r = buildAnnounce({
      prefix: prefix("10.255.255.1/32"),
      nextHop: "self",
      communities: [[12345, 80], [12345, 443]],
    });
    expect(r).toEqual({ ok: true, value: "announce route 10.255.255.1/32 next-hop self community [12345:80 12345:443]" });
  });

  it("adds every optional attribute in ExaBGP's order", () => {
    const r = buildAnnounce({
      prefix: prefix("2001:db8::123/128"),
      nextHop: address("2001:db8::2"),
      pathId: 2,
      communities: [[12345, 443], [65535, 0]],
      largeCommunities: [[65000, 1, 2]],
      med: 100,
      localPref: 200,
    });
    expect(r).toEqual({
      ok: true,
      value:
        "announce route 2001:db8::123/128 next-hop 2001:db8::2 path-information 2 community [12345:443 65535:0] large-community [65000:1:2] med 100 local-preference 200",
    });
  });

  it("writes withdraws with next-hop and path id", () => {
    expect(buildWithdraw({ prefix: prefix("10.255.255.1/32"), nextHop: address("192.0.2.2") })).toEqual({
      ok: true,
      value: "withdraw route 10.255.255.1/32 next-hop 192.0.2.2",
    });
    expect(buildWithdraw({ prefix: prefix("10.255.255.1/32"), nextHop: "self", pathId: 7 })).toMatchObject({
      value: "withdraw route 10.255.255.1/32 next-hop self path-information 7",
    });
  });

  it("refuses forged values instead of writing them", () => {
    const forged = { ...prefix("10.0.0.1/32"), text: "10.0.0.1/32\nannounce route 6.6.6.6/32 next-hop self" } as Prefix;
    expect(buildAnnounce({ prefix: forged, nextHop: "self" }).ok).toBe(false);
    const nh = { ...address("192.0.2.1"), text: "192.0.2.1 community [1:1]" } as IpAddress;
    expect(buildWithdraw({ prefix: prefix("10.0.0.1/32"), nextHop: nh }).ok).toBe(false);
    expect(buildAnnounce({ prefix: prefix("10.0.0.1/32"), nextHop: "self", communities: [[65536, 1]] }).ok).toBe(false);
    expect(buildAnnounce({ prefix: prefix("10.0.0.1/32"), nextHop: "self", med: -1 }).ok).toBe(false);
    expect(buildAnnounce({ prefix: prefix("10.0.0.1/32"), nextHop: "self", localPref: 1.5 }).ok).toBe(false);
    expect(buildAnnounce({ prefix: prefix("10.0.0.1/32"), nextHop: "self", pathId: 2 ** 32 }).ok).toBe(false);
    expect(buildAnnounce({ prefix: null as unknown as Prefix, nextHop: "self" }).ok).toBe(false);
  });

  it("property: whatever text goes through the validators, the line is one well-formed command", () => {
    // Strings biased towards the dangerous: separators, newlines, keywords.
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom("\n", "\r", " ", "/", ":", ".", "[", "]", "next-hop", "withdraw", "1.2.3.4", "::", "32", "65535"),
    );
    const text = fc.array(piece, { maxLength: 8 }).map((a) => a.join(""));
    const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 65535, 65536, 2 ** 32 - 1, 2 ** 32));
    fc.assert(
      fc.property(text, text, fc.array(text, { maxLength: 4 }), fc.array(text, { maxLength: 2 }), num, num, num, (p, nh, cs, lcs, med, lp, pid) => {
        const pr = parsePrefix(p);
        if (!pr.ok) return;
        const a = parseAddress(nh);
        const communities = cs.map(parseCommunity).filter((r) => r.ok).map((r) => (r as { value: Community }).value);
        const large = lcs.map(parseLargeCommunity).filter((r) => r.ok).map((r) => (r as { value: LargeCommunity }).value);
        const spec = { prefix: pr.value, nextHop: a.ok ? a.value : ("self" as const), communities, largeCommunities: large, med, localPref: lp, pathId: pid };
        for (const r of [buildAnnounce(spec), buildWithdraw(spec)]) {
          if (!r.ok) continue;
          expect(r.value).not.toMatch(/[\r\n]/);
          expect(isCommandLine(r.value)).toBe(true);
          const v6 = inApi(r.value, 6);
          expect(v6).toEqual({ ok: true, value: `peer * ${r.value}` });
          expect(v6.ok && V6_ROUTE_LINE.test(v6.value) && isCommandLine(v6.value)).toBe(true);
          expect(inApi(r.value, 4)).toEqual({ ok: true, value: r.value });
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("API v6: the same command behind `peer *`, and nothing else", () => {
    const line = "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]";
    expect(inApi(line, 6)).toEqual({ ok: true, value: `peer * ${line}` });
    expect(inApi("withdraw route 2001:db8::1/128 next-hop 2001:db8::2", 6)).toEqual({ ok: true, value: "peer * withdraw route 2001:db8::1/128 next-hop 2001:db8::2" });
    for (const bad of [`${line}\npeer * announce route 6.6.6.6/32 next-hop self`, "peer * " + line, "shutdown", `${line} bogus`, ""]) {
      expect(inApi(bad, 6).ok, bad).toBe(false);
      expect(inApi(bad, 4).ok, bad).toBe(false);
    }
    expect(isCommandLine(`peer * ${line}`)).toBe(true);
    expect(isCommandLine(`peer 127.0.0.1 ${line}`)).toBe(false);
    expect(isCommandLine(`peer * ${line}\npeer * ${line}`)).toBe(false);
    expect(isCommandLine(`peer * peer * ${line}`)).toBe(false);
  });

  it("the grammar itself refuses a second command", () => {
    expect(ANNOUNCE_LINE.test("announce route 1.2.3.4/32 next-hop self\nannounce route 6.6.6.6/32 next-hop self")).toBe(false);
    expect(isCommandLine("announce route 1.2.3.4/32 next-hop self med 1 bogus")).toBe(false);
  });
});
