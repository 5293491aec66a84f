// Large and extended communities, origin, AS path, path id and neighbors:
// the config keys, how apps on one VIP merge them, and what a route that
// moves to other neighbors or another path id takes back first.

import { describe, expect, it } from "vitest";
import type { IpAddress, Prefix } from "@exacast/core";
import { isCommandLine, parseAddress, parsePrefix } from "@exacast/core";
import { loadAnnouncerConfig } from "../src/config.js";
import type { AppView, PlanOptions, Route } from "../src/planner.js";
import { diffVip, firstWithdraw, planVip, sentRouteOf } from "../src/planner.js";
import type { RouteAttributes } from "../src/route-attributes.js";
import { NO_ATTRIBUTES, mergeAttributes } from "../src/route-attributes.js";

const P = (s: string) => (parsePrefix(s) as { value: Prefix }).value;
const A = (s: string) => (parseAddress(s) as { value: IpAddress }).value;
const VIP = P("10.255.255.1/32");
const opts: PlanOptions = { communityAsn: 12345, nextHop: "self", draining: false };
const app = (name: string, attributes: Partial<RouteAttributes>, over: Partial<AppView> = {}): AppView => ({
  name,
  vips: [VIP],
  ports: [443],
  communities: [],
  med: null,
  localPref: null,
  serving: true,
  attributes: { ...NO_ATTRIBUTES, ...attributes },
  ...over,
});
const plan = (apps: AppView[]) => planVip(VIP, apps, opts)!;
const announce = (apps: AppView[]) => sentRouteOf(plan(apps))!.announce;

describe("route attributes in the config", () => {
  it("top-level defaults every app inherits, an app's own over them", () => {
    const r = loadAnnouncerConfig(
      [
        "next_hop: self",
        "large_communities: ['65000:1:2']",
        "extended_communities: ['target:65000:100']",
        "origin: egp",
        "as_path: [65001]",
        "neighbors: [127.0.0.1]",
        "apps:",
        "  - { name: a, vip: 10.0.0.1/32 }",
        "  - { name: b, vip: 10.0.0.2/32, origin: incomplete, path_id: 7, neighbors: [], extended_communities: ['origin:64512:5'] }",
      ].join("\n"),
      "/t/a.yaml",
    );
    if (!r.ok) throw new Error(r.error.join("\n"));
    const [a, b] = r.value.apps;
    const line = (spec: typeof a) => sentRouteOf(planVip(spec!.vips[0]!, [{ ...spec!, serving: true }], opts)!)!.announce;
    expect(line(a)).toBe(
      "neighbor 127.0.0.1 announce route 10.0.0.1/32 next-hop self origin egp as-path [65001] large-community [65000:1:2] extended-community [target:65000:100]",
    );
    expect(line(b)).toBe("announce route 10.0.0.2/32 next-hop self path-information 7 origin incomplete as-path [65001] large-community [65000:1:2] extended-community [origin:64512:5]");
  });

  it("refuses what ExaBGP could not take, naming the key", () => {
    const r = loadAnnouncerConfig(
      "next_hop: self\napps:\n  - { name: a, vip: 10.0.0.1/32, origin: bgp, as_path: [0], path_id: -1, neighbors: [127.0.0.1/32], extended_communities: ['target:4200000000:70000'], large_communities: ['1:2'] }\n",
      "/t/a.yaml",
    );
    const text = r.ok ? "" : r.error.join("\n");
    for (const key of ["origin", "as_path[0]", "path_id", "neighbors[0]", "extended_communities[0]", "large_communities[0]"]) expect(text).toContain(`apps[0].${key}: `);
  });
});

describe("apps on one VIP make one route", () => {
  it("the union of communities, the most preferred origin, the shortest AS path, the lowest path id, the union of neighbors", () => {
    const x = app("x", { largeCommunities: [[65000, 2, 2]], origin: "incomplete", asPath: [65001, 65002], pathId: 9, neighbors: [A("127.0.0.2")] });
    const y = app("y", { largeCommunities: [[65000, 1, 1]], extendedCommunities: [{ type: "target", global: 1, local: 1 }], origin: "egp", asPath: [65003], pathId: 3, neighbors: [A("127.0.0.1")] });
    const want =
      "neighbor 127.0.0.1 , neighbor 127.0.0.2 announce route 10.255.255.1/32 next-hop self path-information 3 origin egp as-path [65003] community [12345:443] large-community [65000:1:1 65000:2:2] extended-community [target:1:1]";
    expect(announce([x, y])).toBe(want);
    expect(announce([y, x])).toBe(want);
    expect(isCommandLine(want)).toBe(true);
  });

  it("an app asking for every neighbor wins over chosen ones", () => {
    expect(mergeAttributes([{ ...NO_ATTRIBUTES, neighbors: [A("127.0.0.1")] }, NO_ATTRIBUTES]).neighbors).toEqual([]);
  });

  it("only the serving apps' attributes make the route", () => {
    expect(announce([app("x", { origin: "egp" }), app("y", { origin: "igp" }, { serving: false })])).toBe("announce route 10.255.255.1/32 next-hop self origin egp community [12345:443]");
  });

  it("a de-preferred route: the prepend before the apps' AS path", () => {
    const d = app("x", { asPath: [65001] }, { serving: false, degraded: { med: 1000, asPathPrepend: [65000, 65000], communities: [] } });
    expect(announce([d])).toBe("announce route 10.255.255.1/32 next-hop self as-path [65000 65000 65001] med 1000");
  });
});

describe("a route that moves takes back what it leaves", () => {
  const sent = (r: Route) => sentRouteOf(r)!;
  const route = (attributes: Partial<RouteAttributes>) => plan([app("x", attributes)]);

  it("to fewer neighbors: a withdraw to those left, then the announce", () => {
    const c = diffVip(sent(route({ neighbors: [A("127.0.0.1"), A("127.0.0.2")] })), route({ neighbors: [A("127.0.0.2"), A("127.0.0.3")] }));
    expect(c).toMatchObject({
      kind: "announce",
      retract: "neighbor 127.0.0.1 withdraw route 10.255.255.1/32 next-hop self",
      line: "neighbor 127.0.0.2 , neighbor 127.0.0.3 announce route 10.255.255.1/32 next-hop self community [12345:443]",
    });
  });

  it("from every neighbor to chosen ones: withdrawn everywhere first; the other way, nothing to take back", () => {
    expect(diffVip(sent(route({})), route({ neighbors: [A("127.0.0.1")] }))).toMatchObject({ retract: "withdraw route 10.255.255.1/32 next-hop self" });
    expect(diffVip(sent(route({ neighbors: [A("127.0.0.1")] })), route({}))).not.toHaveProperty("retract");
  });

  it("another path id is another route: the old one is withdrawn", () => {
    expect(diffVip(sent(route({ pathId: 1, neighbors: [A("127.0.0.1")] })), route({ pathId: 2, neighbors: [A("127.0.0.1")] }))).toMatchObject({
      retract: "neighbor 127.0.0.1 withdraw route 10.255.255.1/32 next-hop self path-information 1",
      line: "neighbor 127.0.0.1 announce route 10.255.255.1/32 next-hop self path-information 2 community [12345:443]",
    });
  });

  it("attributes alone changed: no withdraw (BGP replaces the route)", () => {
    expect(diffVip(sent(route({ origin: "igp", pathId: 4 })), route({ origin: "egp", pathId: 4 }))).not.toHaveProperty("retract");
  });

  it("withdrawn with the neighbors and path id it was announced with, and so is a first verdict", () => {
    expect(diffVip(sent(route({ pathId: 5, neighbors: [A("127.0.0.1")] })), null)).toMatchObject({ line: "neighbor 127.0.0.1 withdraw route 10.255.255.1/32 next-hop self path-information 5" });
    expect(firstWithdraw(VIP, "self", [app("x", { pathId: 5, neighbors: [A("127.0.0.1")] }, { serving: false })])).toMatchObject({
      line: "neighbor 127.0.0.1 withdraw route 10.255.255.1/32 next-hop self path-information 5",
    });
  });
});
