// The RIB snapshot's format: what is written reads back exactly; anything else
// is refused with a reason, never half-used.

import { describe, expect, it } from "vitest";
import type { Route } from "../src/rib.js";
import { Rib } from "../src/rib.js";
import { decodeSnapshot, encodeSnapshot, snapshotOf } from "../src/snapshot.js";
import { attrs, prefix } from "./exa-lines.js";

function rib(): Rib {
  const r = new Rib({ communityAsn: 12345, maxRoutes: 100 });
  r.announce("192.0.2.1", prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443], [65000, 1]], { med: 10 }));
  r.announce("192.0.2.1", prefix("2001:db8::1/128"), 3, "2001:db8::2", attrs([[12345, 80]], { localPref: 200 }));
  r.announce("192.0.2.9", prefix("10.0.0.1/32"), 0, "192.0.2.3", attrs([[12345, 443]]));
  return r;
}

const row = (r: Route) => [r.neighbor, r.prefix.text, r.pathId, r.nexthop, r.med, r.localPref, r.communities];

describe("RIB snapshot", () => {
  it("reads back what was written: routes per neighbor with their attributes, capabilities, ExaBGP's JSON version", () => {
    const caps = (n: string) => (n === "192.0.2.1" ? { refresh: "enhanced" as const, families: ["ipv4 unicast" as const] } : {});
    const text = encodeSnapshot(snapshotOf(rib().routes(), 12345, "4.0.1", caps), "2026-01-01T00:00:00.000Z");
    const back = decodeSnapshot(text);
    if (!back.ok) throw new Error(back.error);
    expect(back.value.communityAsn).toBe(12345);
    expect(back.value.exabgp).toBe("4.0.1");
    expect(back.value.neighbors.map((n) => [n.address, n.refresh, n.families])).toEqual([
      ["192.0.2.1", "enhanced", ["ipv4 unicast"]],
      ["192.0.2.9", undefined, undefined],
    ]);
    const again = new Rib({ communityAsn: 12345, maxRoutes: 100 });
    for (const n of back.value.neighbors) for (const r of n.routes) again.announce(n.address, r.prefix, r.pathId, r.nexthop, { ...attrs([...r.communities] as [number, number][]), med: r.med, localPref: r.localPref });
    expect([...again.routes()].map(row)).toEqual([...rib().routes()].map(row));
  });

  it("refuses anything that does not read back exactly, saying where", () => {
    const good = JSON.parse(encodeSnapshot(snapshotOf(rib().routes(), 12345, null as never, () => ({})), "x"));
    const bad = (edit: (s: typeof good) => void) => {
      const s = structuredClone(good);
      edit(s);
      return decodeSnapshot(JSON.stringify(s));
    };
    expect(decodeSnapshot("{ not json")).toMatchObject({ ok: false, error: expect.stringMatching(/^not JSON/) });
    expect(bad((s) => (s.version = 2))).toMatchObject({ ok: false, error: expect.stringMatching(/^version/) });
    expect(bad((s) => (s.neighbors[0].routes[0][0] = "10.0.0.1/24"))).toMatchObject({ ok: false, error: expect.stringContaining("not canonical") });
    expect(bad((s) => (s.neighbors[0].routes[0][5] = [[12345, 70000]]))).toMatchObject({ ok: false, error: expect.stringMatching(/^neighbors\.0\.routes\.0\.5/) });
    expect(bad((s) => (s.neighbors[0].address = "192.0.2.1\nannounce"))).toMatchObject({ ok: false, error: expect.stringContaining("address") });
    expect(bad((s) => (s.neighbors[0].routes[0][2] = "self"))).toMatchObject({ ok: false, error: expect.stringContaining("next hop") });
    expect(bad((s) => (s.neighbors[0].refresh = "maybe"))).toMatchObject({ ok: false });
  });
});
