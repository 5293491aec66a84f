// on_down / on_disabled: the config keys, the planner's de-preferred route,
// and the announcer keeping it through RISING on the fake clock.

import { describe, expect, it } from "vitest";
import type { IpAddress, Prefix } from "@exacast/core";
import { createLogger, parseAddress, parsePrefix } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { formatCheckReport } from "../src/report.js";
import type { Degrade } from "../src/degraded.js";
import { degradeNow, degradedPath, mergeDegrades } from "../src/degraded.js";
import type { AppView, PlanOptions } from "../src/planner.js";
import { planVip, sentRouteOf } from "../src/planner.js";

const P = (s: string) => (parsePrefix(s) as { value: Prefix }).value;
const A = (s: string) => (parseAddress(s) as { value: IpAddress }).value;
const VIP = P("10.255.255.1/32");
const opts: PlanOptions = { communityAsn: 12345, nextHop: { v4: A("192.0.2.2"), v6: null }, draining: false };
const D1000: Degrade = { med: 1000, asPathPrepend: [], communities: [[65535, 0]] };

function app(name: string, over: Partial<AppView> = {}): AppView {
  return { name, vips: [VIP], ports: [443], communities: [[65000, 7]], med: 10, localPref: 200, serving: false, ...over };
}
const line = (apps: AppView[], o = opts) => {
  const r = planVip(VIP, apps, o);
  return r ? sentRouteOf(r)!.announce : null;
};

describe("on_down / on_disabled in the config", () => {
  const load = (yaml: string) => loadAnnouncerConfig(`next_hop: 192.0.2.2\n${yaml}`, "/t/a.yaml");

  it("a top-level default every app inherits, an app's own, and withdraw to turn it off", () => {
    const r = load(
      [
        "local_as: 65000",
        "on_down: { med: 1000, as_path_prepend: 2, communities: ['65535:0'] }",
        "apps:",
        "  - { name: a, vip: 10.0.0.1/32 }",
        "  - { name: b, vip: 10.0.0.2/32, on_down: withdraw, on_disabled: { med: 500, as_path_prepend: [65001] } }",
      ].join("\n"),
    );
    if (!r.ok) throw new Error(r.error.join("\n"));
    const [a, b] = r.value.apps;
    expect(a!.onDown).toEqual({ med: 1000, asPathPrepend: [65000, 65000], communities: [[65535, 0]], ownAs: 65000 });
    expect(a!.onDisabled).toBeNull();
    expect(b!.onDown).toBeNull();
    expect(b!.onDisabled).toEqual({ med: 500, asPathPrepend: [65001], communities: [], ownAs: null });
  });

  it("`check` prints what DOWN and DISABLED announce, and the hook", () => {
    const r = load("local_as: 65000\nmanage_loopback: always\nloopback_label: exacast\napps:\n  - { name: a, vip: 10.0.0.1/32, on_down: { med: 1000, as_path_prepend: 1, communities: ['65535:0'] }, execute: [/bin/hook] }");
    if (!r.ok) throw new Error(r.error.join("\n"));
    const text = formatCheckReport(r.value);
    expect(text).toContain("manage_loopback always (label lo:exacast)");
    expect(text).toContain("  down      announced de-preferred, med 1000, prepend 65000, communities 65535:0; disabled: withdrawn");
    expect(text).toContain('  execute   ["/bin/hook"], timeout 30s');
  });

  it("refuses what it cannot announce, naming the key", () => {
    const count = load("apps:\n  - { name: a, vip: 10.0.0.1/32, on_down: { as_path_prepend: 3 } }");
    expect(count.ok ? "" : count.error.join("\n")).toMatch(/apps\[0\]\.on_down\.as_path_prepend: a count needs local_as/);
    const r = load("apps:\n  - { name: b, vip: 10.0.0.2/32, on_disabled: keep }\n  - { name: c, vip: 10.0.0.3/32, on_down: { med: -1, colour: red } }");
    const text = r.ok ? "" : r.error.join("\n");
    expect(text).toMatch(/apps\[0\]\.on_disabled: expected withdraw, or \{ med, as_path_prepend, communities \}/);
    expect(text).toMatch(/apps\[1\]\.on_down\.med: expected an integer/);
    expect(text).toMatch(/apps\[1\]\.on_down: .*colour/);
  });
});

describe("planner: a VIP no app serves, held de-preferred", () => {
  it("carries the policy's MED and communities and the app's own, never 12345:<port>", () => {
    expect(line([app("web", { degraded: D1000 })])).toBe("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [65000:7 65535:0] med 1000 local-preference 200");
    expect(planVip(VIP, [app("web", { degraded: D1000 })], opts)?.degraded).toBe(true);
  });

  it("an UP app on the VIP wins: the usual route, without the policy's attributes", () => {
    const up = app("dns", { serving: true, ports: [53], communities: [], med: null, localPref: null });
    expect(line([app("web", { degraded: D1000 }), up])).toBe("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:53]");
  });

  it("withdrawn when no app on it keeps announcing", () => {
    expect(line([app("web", { degraded: null }), app("api")])).toBeNull();
  });

  it("the policy's MED over the app's; without one, the app's MED", () => {
    expect(line([app("web", { degraded: { med: null, asPathPrepend: [], communities: [] } })])).toBe(
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [65000:7] med 10 local-preference 200",
    );
  });

  it("draining adds 65535:0 once", () => {
    expect(line([app("web", { degraded: D1000 })], { ...opts, draining: true })).toBe(
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [65000:7 65535:0] med 1000 local-preference 200",
    );
  });

  it("several apps: the least de-preferred route, whatever their order", () => {
    const a: Degrade = { med: 1000, asPathPrepend: [65000, 65000], communities: [[65000, 1]] };
    const b: Degrade = { med: 500, asPathPrepend: [65000, 65000, 65000], communities: [[65000, 2]] };
    expect(mergeDegrades([a, b])).toEqual({ med: 500, asPathPrepend: [65000, 65000], communities: [[65000, 1], [65000, 2]], ownAs: null });
    expect(mergeDegrades([b, a])).toMatchObject({ med: 500, asPathPrepend: [65000, 65000] });
  });

  it("a prepend count keeps local_as where the route has no AS path (ExaBGP sends a given path as it is)", () => {
    const count: Degrade = { med: null, asPathPrepend: [65000, 65000], communities: [], ownAs: 65000 };
    expect(degradedPath(count, [])).toEqual([65000, 65000, 65000]);
    expect(degradedPath(count, [65000, 65010])).toEqual([65000, 65000, 65000, 65010]);
    expect(degradedPath({ ...count, ownAs: null }, [])).toEqual([65000, 65000]);
    expect(degradedPath({ ...count, asPathPrepend: [] }, [65010])).toEqual([65010]);
  });

  it("the policy follows the settled state: DOWN → on_down, DISABLED → on_disabled, UP or none → none", () => {
    const spec = { onDown: D1000, onDisabled: null };
    expect(degradeNow(spec, { serving: false, settled: "DOWN" })).toBe(D1000);
    expect(degradeNow(spec, { serving: false, settled: "DISABLED" })).toBeNull();
    expect(degradeNow(spec, { serving: false, settled: null })).toBeNull();
    expect(degradeNow(spec, { serving: true, settled: "UP" })).toBeNull();
  });
});

describe("announcer: de-preferred while DOWN, through RISING, until UP", () => {
  it("announces the DOWN route, keeps it while RISING, replaces it at UP, and the maintenance route at DISABLED", async () => {
    const r = loadAnnouncerConfig(
      [
        "next_hop: 192.0.2.2",
        "interval: 1s",
        "fast_interval: 100ms",
        "rise: 2",
        "fall: 2",
        "on_down: { med: 1000 }",
        "on_disabled: { med: 500, communities: ['65535:0'] }",
        "apps:",
        "  - { name: web, vip: 10.255.255.1/32, ports: [443] }",
      ].join("\n"),
      "/t/a.yaml",
    );
    if (!r.ok) throw new Error(r.error.join("\n"));
    const clock = new FakeClock();
    const out: string[] = [];
    let health: AppCheckResult = { pass: false, disabled: false, results: [], reason: "down" };
    const ann = new Announcer(
      { ...r.value, ack: false },
      {
        clock,
        random: () => 0,
        log: createLogger({ program: "t", level: "error", format: "json", write: () => {} }),
        write: (l) => void out.push(...l),
        check: async () => health,
        loopback: null,
        exit: () => {},
      },
    );
    ann.load(r.value.apps);
    await clock.advance(150); // FALLING at 0, DOWN at 100
    expect(out).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 med 1000"]);
    health = { pass: true, disabled: false, results: [], reason: "ok" };
    await clock.advance(1000); // RISING at 1100: nothing new
    expect(out).toHaveLength(1);
    await clock.advance(100); // UP at 1200
    expect(out.slice(1)).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]"]);
    health = { pass: false, disabled: true, results: [], reason: "maintenance" };
    await clock.advance(1000);
    expect(out.slice(2)).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [65535:0] med 500"]);
    // DISABLED → RISING → FALLING → DOWN, never serving: the maintenance route, then the DOWN one.
    health = { pass: true, disabled: false, results: [], reason: "ok" };
    await clock.advance(1000);
    health = { pass: false, disabled: false, results: [], reason: "down" };
    await clock.advance(100);
    expect(out).toHaveLength(3);
    await clock.advance(100);
    expect(out.slice(3)).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 med 1000"]);
  });
});
