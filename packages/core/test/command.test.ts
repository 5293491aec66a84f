import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Origin } from "../src/command.js";
import { ANNOUNCE_LINE, buildAnnounce, buildWithdraw, commandVerb, inApi, isCommandLine, V6_ROUTE_LINE } from "../src/command.js";
import type { Community, ExtendedCommunity, LargeCommunity } from "../src/community.js";
import { parseCommunity, parseExtendedCommunity, parseLargeCommunity } from "../src/community.js";
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

  it("origin, AS path and extended communities, in the order ExaBGP's healthcheck users know", () => {
    const r = buildAnnounce({
      prefix: prefix("10.255.255.1/32"),
      nextHop: "self",
      pathId: 4,
      origin: "egp",
      asPath: [65001, 4200000000],
      communities: [[12345, 443]],
      largeCommunities: [[65000, 1, 2]],
      extendedCommunities: [
        { type: "target", global: 65000, local: 100 },
        { type: "origin", global: 64512, local: 4294967295 },
      ],
      med: 10,
    });
    expect(r).toEqual({
      ok: true,
      value:
        "announce route 10.255.255.1/32 next-hop self path-information 4 origin egp as-path [65001 4200000000] community [12345:443] large-community [65000:1:2] extended-community [target:65000:100 origin:64512:4294967295] med 10",
    });
  });

  it("chosen neighbors: `neighbor A , neighbor B …` in API v4; `peer A …` and `peer [A, B] …` in API v6", () => {
    const one = buildWithdraw({ prefix: prefix("10.255.255.1/32"), nextHop: "self", neighbors: [address("127.0.0.1")] });
    expect(one).toEqual({ ok: true, value: "neighbor 127.0.0.1 withdraw route 10.255.255.1/32 next-hop self" });
    const two = buildAnnounce({ prefix: prefix("10.255.255.1/32"), nextHop: "self", neighbors: [address("127.0.0.1"), address("::1")], communities: [[12345, 80]] });
    expect(two).toEqual({ ok: true, value: "neighbor 127.0.0.1 , neighbor ::1 announce route 10.255.255.1/32 next-hop self community [12345:80]" });
    expect(inApi(one.ok ? one.value : "", 6)).toEqual({ ok: true, value: "peer 127.0.0.1 withdraw route 10.255.255.1/32 next-hop self" });
    expect(inApi(two.ok ? two.value : "", 6)).toEqual({ ok: true, value: "peer [127.0.0.1, ::1] announce route 10.255.255.1/32 next-hop self community [12345:80]" });
    expect(inApi(two.ok ? two.value : "", 4)).toEqual(two);
    for (const l of ["neighbor 127.0.0.1 , neighbor ::1 announce route 10.0.0.1/32 next-hop self", "peer [127.0.0.1, ::1] withdraw route 10.0.0.1/32 next-hop self", "peer * announce route 10.0.0.1/32 next-hop self"]) {
      expect(commandVerb(l), l).toBe(l.includes("announce") ? "announce" : "withdraw");
    }
  });

  it("refuses forged neighbors, AS paths, origins and extended communities", () => {
    const base = { prefix: prefix("10.0.0.1/32"), nextHop: "self" as const };
    const nb = { ...address("127.0.0.1"), text: "127.0.0.1 announce route 6.6.6.6/32 next-hop self\nneighbor 127.0.0.1" } as IpAddress;
    expect(buildAnnounce({ ...base, neighbors: [nb] }).ok).toBe(false);
    expect(buildWithdraw({ ...base, neighbors: [nb] }).ok).toBe(false);
    expect(buildAnnounce({ ...base, asPath: [0] }).ok).toBe(false);
    expect(buildAnnounce({ ...base, asPath: [2 ** 32] }).ok).toBe(false);
    expect(buildAnnounce({ ...base, origin: "igp med 1" as Origin }).ok).toBe(false);
    expect(buildAnnounce({ ...base, extendedCommunities: [{ type: "target", global: "1] med [1" as unknown as number, local: 1 }] }).ok).toBe(false);
    expect(buildAnnounce({ ...base, extendedCommunities: [{ type: "target", global: 4200000000, local: 7 }] }).ok).toBe(false);
    expect(buildAnnounce({ ...base, extendedCommunities: [null as unknown as ExtendedCommunity] }).ok).toBe(false);
  });

  it("extended communities: route targets and origins of 2-byte AS numbers, and nothing else", () => {
    expect(parseExtendedCommunity("target:65000:4294967295")).toEqual({ ok: true, value: { type: "target", global: 65000, local: 4294967295 } });
    expect(parseExtendedCommunity("origin:1:0")).toEqual({ ok: true, value: { type: "origin", global: 1, local: 0 } });
    expect(parseExtendedCommunity("origin:4200000000:7")).toMatchObject({ ok: false, error: expect.stringMatching(/4-byte AS number is not supported/) });
    expect(parseExtendedCommunity("target:192.0.2.1:7")).toMatchObject({ ok: false, error: expect.stringMatching(/IPv4 address .* not supported/) });
    for (const bad of ["target:4200000000:65536", "target:192.0.2.1:65536", "target:1.2.3:4", "redirect:65000:1", "65000:1", "target:65000:-1", "target:065000:1", "target:65000:1 ", ""]) {
      expect(parseExtendedCommunity(bad).ok, bad).toBe(false);
    }
  });

  it("property: whatever text goes through the validators, the line is one well-formed command, in either API's form", () => {
    // Strings biased towards the dangerous: separators, newlines, keywords.
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom("\n", "\r", " ", "/", ":", ".", "[", "]", ",", "next-hop", "withdraw", "neighbor", "peer", "target:", "origin:", "1.2.3.4", "::", "32", "65535"),
    );
    const text = fc.array(piece, { maxLength: 8 }).map((a) => a.join(""));
    const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 65535, 65536, 2 ** 32 - 1, 2 ** 32));
    const parsed = <T>(list: string[], parse: (s: string) => { ok: boolean }) => list.map(parse).filter((r) => r.ok).map((r) => (r as unknown as { value: T }).value);
    fc.assert(
      fc.property(
        fc.record({
          p: text,
          nh: text,
          cs: fc.array(text, { maxLength: 4 }),
          lcs: fc.array(text, { maxLength: 2 }),
          xcs: fc.array(text, { maxLength: 2 }),
          nbs: fc.array(text, { maxLength: 3 }),
          path: fc.array(num, { maxLength: 3 }),
          origin: fc.constantFrom<Origin | null>("igp", "egp", "incomplete", null),
          med: num,
          lp: num,
          pid: num,
        }),
        ({ p, nh, cs, lcs, xcs, nbs, path, origin, med, lp, pid }) => {
          const pr = parsePrefix(p);
          if (!pr.ok) return;
          const a = parseAddress(nh);
          const spec = {
            prefix: pr.value,
            nextHop: a.ok ? a.value : ("self" as const),
            communities: parsed<Community>(cs, parseCommunity),
            largeCommunities: parsed<LargeCommunity>(lcs, parseLargeCommunity),
            extendedCommunities: parsed<ExtendedCommunity>(xcs, parseExtendedCommunity),
            neighbors: parsed<IpAddress>(nbs, parseAddress),
            asPath: path,
            origin,
            med,
            localPref: lp,
            pathId: pid,
          };
          for (const r of [buildAnnounce(spec), buildWithdraw(spec)]) {
            if (!r.ok) continue;
            expect(r.value).not.toMatch(/[\r\n]/);
            expect(isCommandLine(r.value)).toBe(true);
            const v6 = inApi(r.value, 6);
            expect(v6.ok && V6_ROUTE_LINE.test(v6.value) && isCommandLine(v6.value)).toBe(true);
            if (spec.neighbors.length === 0) expect(v6).toEqual({ ok: true, value: `peer * ${r.value}` });
            expect(inApi(r.value, 4)).toEqual({ ok: true, value: r.value });
          }
        },
      ),
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
    expect(isCommandLine(`peer 127.0.0.1 ${line}`)).toBe(true);
    expect(isCommandLine(`peer 127.0.0.1 , neighbor 127.0.0.2 ${line}`)).toBe(false);
    expect(isCommandLine(`neighbor 127.0.0.1 peer * ${line}`)).toBe(false);
    expect(isCommandLine(`peer * ${line}\npeer * ${line}`)).toBe(false);
    expect(isCommandLine(`peer * peer * ${line}`)).toBe(false);
  });

  it("the grammar itself refuses a second command", () => {
    expect(ANNOUNCE_LINE.test("announce route 1.2.3.4/32 next-hop self\nannounce route 6.6.6.6/32 next-hop self")).toBe(false);
    expect(isCommandLine("announce route 1.2.3.4/32 next-hop self med 1 bogus")).toBe(false);
  });
});
