import { describe, expect, it } from "vitest";
import type { Community, IpAddress, Prefix } from "@exacast/core";
import { isCommandLine, parseAddress, parsePrefix } from "@exacast/core";
import type { AppView, PlanOptions, SentRoute } from "../src/planner.js";
import { applyChanges, diffTables, diffVip, planAll, planVip, sentRouteOf } from "../src/planner.js";

const P = (s: string): Prefix => {
  const r = parsePrefix(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const A = (s: string): IpAddress => {
  const r = parseAddress(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const VIP = P("10.255.255.1/32");
const opts: PlanOptions = { communityAsn: 12345, nextHop: { v4: A("192.0.2.2"), v6: A("2001:db8::2") }, draining: false };

function app(name: string, over: Partial<AppView> = {}): AppView {
  return { name, vips: [VIP], ports: [443], communities: [], med: null, localPref: null, serving: true, ...over };
}

function lines(apps: AppView[], o: PlanOptions = opts): string[] {
  return [...planAll(apps, o).values()].map((r) => sentRouteOf(r)!.announce);
}

describe("planner: desired routes", () => {
  it("one serving app: its VIP with 12345:<port> for each port, ascending", () => {
    expect(lines([app("web", { ports: [443, 80] })])).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:80 12345:443]"]);
  });

  it("an app that is not serving announces nothing", () => {
    expect(lines([app("web", { serving: false })])).toEqual([]);
  });

  it("two apps sharing a VIP: the union of the serving apps' ports", () => {
    const web = app("web", { ports: [443, 80] });
    const api = app("api", { ports: [8443, 443] });
    expect(lines([web, api])).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:80 12345:443 12345:8443]"]);
    expect(lines([web, { ...api, serving: false }])).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:80 12345:443]"]);
    expect(lines([{ ...web, serving: false }, api])).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 12345:8443]"]);
    expect(lines([{ ...web, serving: false }, { ...api, serving: false }])).toEqual([]);
  });

  it("extra communities follow the ports, ascending and deduplicated; draining adds 65535:0 last", () => {
    const c = (a: number, b: number): Community => [a, b];
    const web = app("web", { communities: [c(65000, 200), c(65000, 100)] });
    const api = app("api", { ports: [80], communities: [c(65000, 100)] });
    expect(lines([web, api])).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:80 12345:443 65000:100 65000:200]"]);
    expect(lines([web, api], { ...opts, draining: true })).toEqual([
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:80 12345:443 65000:100 65000:200 65535:0]",
    ]);
  });

  it("an app with no ports announces its VIP bare (plain anycast)", () => {
    expect(lines([app("dns", { ports: [] })])).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2"]);
    expect(lines([app("dns", { ports: [] })], { ...opts, draining: true })).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [65535:0]"]);
  });

  it("MED and LOCAL_PREF: the most preferred value among the serving apps, whatever their order", () => {
    const a = app("a", { med: 100, localPref: 50 });
    const b = app("b", { med: 10, localPref: 200 });
    const n = app("n");
    for (const apps of [[a, b, n], [n, b, a]]) {
      expect(lines(apps)).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443] med 10 local-preference 200"]);
    }
    expect(lines([a, { ...b, serving: false }])).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443] med 100 local-preference 50"]);
  });

  it("each family gets its own next-hop; self stays self; a family without one is not announced", () => {
    const v6 = P("2001:db8::1/128");
    const both = app("web", { vips: [VIP, v6] });
    expect(lines([both])).toEqual([
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]",
      "announce route 2001:db8::1/128 next-hop 2001:db8::2 community [12345:443]",
    ]);
    expect(lines([both], { ...opts, nextHop: "self" })).toEqual([
      "announce route 10.255.255.1/32 next-hop self community [12345:443]",
      "announce route 2001:db8::1/128 next-hop self community [12345:443]",
    ]);
    expect(planVip(v6, [both], { ...opts, nextHop: { v4: A("192.0.2.2"), v6: null } })).toBeNull();
  });

  it("only apps that name the VIP count", () => {
    const other = app("other", { vips: [P("10.0.0.0/24")], ports: [9999] });
    expect(planVip(VIP, [app("web"), other], opts)?.communities).toEqual([[12345, 443]]);
  });

  it("every line it builds is a valid ExaBGP command", () => {
    const apps = [app("a", { ports: [1, 65535], med: 0, localPref: 4294967295, communities: [[0, 0], [65535, 65535]] })];
    for (const l of lines(apps, { ...opts, draining: true })) expect(isCommandLine(l)).toBe(true);
  });
});

describe("planner: diff against what was sent", () => {
  const sentOf = (apps: AppView[]): Map<string, SentRoute> => {
    const m = new Map<string, SentRoute>();
    for (const [k, r] of planAll(apps, opts)) m.set(k, sentRouteOf(r)!);
    return m;
  };

  it("nothing to send when nothing changed", () => {
    const apps = [app("web"), app("api", { ports: [80] })];
    expect(diffTables(sentOf(apps), planAll(apps, opts))).toEqual([]);
  });

  it("a new VIP is announced, a changed one announced again, a gone one withdrawn", () => {
    const before = [app("web"), app("api", { ports: [80], vips: [P("10.255.255.2/32")] })];
    const after = [app("web", { ports: [443, 8080] }), app("api", { ports: [80], vips: [P("10.255.255.2/32")], serving: false }), app("new", { vips: [P("10.255.255.3/32")] })];
    const sent = sentOf(before);
    const changes = diffTables(sent, planAll(after, opts));
    expect(changes.map((c) => c.line)).toEqual([
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 12345:8080]",
      "withdraw route 10.255.255.2/32 next-hop 192.0.2.2",
      "announce route 10.255.255.3/32 next-hop 192.0.2.2 community [12345:443]",
    ]);
    applyChanges(sent, changes);
    expect(diffTables(sent, planAll(after, opts))).toEqual([]);
    expect([...sent.keys()]).toEqual(["10.255.255.1/32", "10.255.255.3/32"]);
  });

  it("a shared VIP: second app's port added, then removed, then the VIP withdrawn", () => {
    const web = app("web", { ports: [443] });
    const api = app("api", { ports: [8443], serving: false });
    const sent = new Map<string, SentRoute>();
    const steps: (string | undefined)[] = [];
    for (const apps of [[web, api], [web, { ...api, serving: true }], [web, api], [{ ...web, serving: false }, api]]) {
      const c = diffVip(sent.get(VIP.text), planVip(VIP, apps, opts));
      if (c) applyChanges(sent, [c]);
      steps.push(c?.line);
    }
    expect(steps).toEqual([
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]",
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 12345:8443]",
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]",
      "withdraw route 10.255.255.1/32 next-hop 192.0.2.2",
    ]);
    expect(sent.size).toBe(0);
  });

  it("drain on: every announced VIP changes; drain off: back, and nothing for withdrawn VIPs", () => {
    const apps = [app("web"), app("api", { vips: [P("10.255.255.2/32")], serving: false })];
    const sent = sentOf(apps);
    const on = diffTables(sent, planAll(apps, { ...opts, draining: true }));
    expect(on.map((c) => c.line)).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 65535:0]"]);
    applyChanges(sent, on);
    const off = diffTables(sent, planAll(apps, opts));
    expect(off.map((c) => c.line)).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]"]);
  });
});
