// The announcer's status page from a status as GET /status gives it: what it
// shows, and that nothing from outside (Consul names, check output, error
// text) becomes markup. The VIP view is built by the real vipsJson.

import { parsePrefix } from "@exacast/core";
import { describe, expect, it } from "vitest";
import type { AppSpec } from "../src/config.js";
import { initialState } from "../src/fsm.js";
import { planVip, sentRouteOf } from "../src/planner.js";
import type { SentRoute } from "../src/planner.js";
import type { AppEntry } from "../src/registry.js";
import { announcerPage } from "../src/status-page.js";
import type { AnnouncerStatus } from "../src/views.js";
import { vipsJson } from "../src/views.js";

const NOW = Date.parse("2026-05-01T12:00:00.000Z");
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const HOSTILE = "<script>alert('x')</script>";

type App = AnnouncerStatus["apps"][number];
const app = (over: Partial<App>): App => ({
  name: "web",
  source: "config",
  state: "UP",
  serving: true,
  since: iso(125_000),
  reason: "ok",
  vips: ["10.255.255.1/32"],
  ports: [443],
  communities: [],
  nat: [],
  med: null,
  local_pref: null,
  checks: [{ kind: "tcp", check: "tcp 127.0.0.1:8443", last: { ok: true, reason: "connected", latency_ms: 0.412 } }],
  last_check: iso(500),
  timers: { interval_ms: 2000, fast_interval_ms: 500, timeout_ms: 1000, rise: 2, fall: 2 },
  ...over,
});

function status(over: Partial<AnnouncerStatus> = {}): AnnouncerStatus {
  return {
    program: "exacast-announcer",
    host: "lb-1",
    version: "1.2.3",
    pid: 777,
    started: iso(7_200_000),
    draining: false,
    stopping: false,
    announced: [{ vip: "10.255.255.1/32", command: "announce route 10.255.255.1/32 next-hop self community [12345:443]" }],
    vips: [
      { vip: "10.255.255.1/32", announced: true, communities: ["12345:443"], med: null, local_pref: 300, draining: false, apps: ["web"], apps_not_serving: [] },
      { vip: "10.255.255.2/32", announced: false, communities: [], med: null, local_pref: null, draining: false, apps: [], apps_not_serving: ["hostile"] },
    ],
    exabgp: { ack: true, commands: 12, acks: 12, ack_errors: 0, ack_timeouts: 0, resends: 1 },
    http: { apps: 1, state_file: null },
    consul: { node: "node-1", reachable: false, last_error: `agent said ${HOSTILE}`, outage_since: iso(42_000), updates: 3, errors: 2, services: 4, skipped: 1 },
    apps: [
      app({}),
      app({
        name: "hostile",
        source: "http",
        state: "DOWN",
        serving: false,
        since: iso(9000),
        vips: ["10.255.255.2/32"],
        ports: [80],
        checks: [{ kind: "http", check: `http http://127.0.0.1:1/ contains ${JSON.stringify(HOSTILE)}`, last: { ok: false, reason: `status 200 but the body does not contain ${HOSTILE}`, latency_ms: 3.5 } }],
      }),
      app({ name: "maint", state: "DISABLED", serving: false, checks: [{ kind: "file_absent", check: "file_absent /etc/maint", last: { ok: false, reason: "maintenance: /etc/maint exists", latency_ms: 0.01, maintenance: true } }] }),
      app({ name: "falling", state: "FALLING", serving: true, checks: [] }),
    ],
    ...over,
  };
}

const text = (page: string) => page.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

describe("announcer status page", () => {
  it("is one self-contained document that reloads itself: no script, no external asset", () => {
    const page = announcerPage(status(), NOW);
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain('<meta http-equiv="refresh" content="5">');
    expect(page).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
  });

  it("shows per app its source, state and since when, and each check's last result and latency", () => {
    const t = text(announcerPage(status(), NOW));
    expect(t).toContain("web config UP 2m 5s ago 10.255.255.1/32 443 pass tcp 127.0.0.1:8443 connected · 0.41 ms");
    expect(t).toContain("hostile http DOWN 9s ago 10.255.255.2/32 80 fail http http://127.0.0.1:1/");
    expect(t).toContain("· 3.50 ms");
    expect(t).toContain("maint config DISABLED");
    expect(t).toContain("maintenance file_absent /etc/maint");
    expect(t).toContain("falling config FALLING still serving");
    expect(t).toContain("none: always up");
    expect(t).toContain("1 / 4 Apps up");
  });

  it("shows per VIP the communities announced, draining or not, and which apps hold it", () => {
    const t = text(announcerPage(status(), NOW));
    expect(t).toContain("10.255.255.1/32 announced 12345:443 — 300 web");
    expect(t).toContain("10.255.255.2/32 withdrawn — — — — (not serving: hostile)");
    const draining = status({
      draining: true,
      vips: [{ vip: "10.255.255.1/32", announced: true, communities: ["12345:443", "65535:0"], med: 10, local_pref: null, draining: true, apps: ["a", "b"], apps_not_serving: [] }],
    });
    const d = text(announcerPage(draining, NOW));
    expect(d).toContain("10.255.255.1/32 announced, draining 12345:443 65535:0 10 — a , b");
    expect(d).toContain("draining Drain");
  });

  it("shows ExaBGP's answers and Consul's health", () => {
    const t = text(announcerPage(status({ exabgp: { ack: true, commands: 9, acks: 7, ack_errors: 1, ack_timeouts: 1, resends: 0 } }), NOW));
    expect(t).toContain("Commands sent 9 Acknowledged 7 Answered error 1 Not answered in time 1");
    expect(t).toContain("2 ExaBGP ack errors");
    expect(t).toContain("Consul node node-1 Agent unreachable Outage since 42s ago Last error agent said");
    expect(t).toContain("Skipped (bad tags) 1");
    expect(text(announcerPage(status({ consul: null }), NOW))).toContain("Consul discovery is off");
  });

  it("escapes every value from outside: check output, check description, Consul's error", () => {
    const page = announcerPage(status(), NOW);
    expect(page).not.toContain("<script>");
    // The check's description, its reason, and Consul's last error.
    expect(page.match(/&lt;script&gt;alert\(&#39;x&#39;\)&lt;\/script&gt;/g)?.length).toBe(3);
    const named = announcerPage(status({ apps: [app({ name: HOSTILE, source: HOSTILE as "http", state: HOSTILE as "UP", vips: [HOSTILE] })], consul: { ...status().consul!, node: HOSTILE } }), NOW);
    expect(named).not.toContain("<script>");
    expect(named.match(/&lt;script&gt;/g)?.length).toBe(6); // name, source, state, VIP, node, last error
  });
});

describe("vipsJson: what /status says of each VIP", () => {
  const P = (t: string) => {
    const p = parsePrefix(t);
    if (!p.ok) throw new Error(p.error);
    return p.value;
  };
  const entry = (name: string, vips: string[], serving: boolean): AppEntry => ({
    spec: { name, vips: vips.map(P), ports: [443], communities: [], med: null, localPref: null } as unknown as AppSpec,
    state: { ...initialState(0), serving },
    results: [],
    reason: "ok",
    lastCheckAt: null,
  });

  it("the sent route's communities, draining from 65535:0, the apps holding it and those not serving", () => {
    const apps = [entry("b", ["10.0.0.1/32"], true), entry("a", ["10.0.0.1/32", "10.0.0.2/32"], true), entry("c", ["10.0.0.2/32"], false)];
    const opts = { communityAsn: 12345, nextHop: "self" as const, draining: true };
    const sent = new Map<string, SentRoute>();
    const r = planVip(P("10.0.0.1/32"), apps.map((e) => ({ ...e.spec, serving: e.state.serving })), opts)!;
    sent.set("10.0.0.1/32", sentRouteOf(r)!);
    sent.set("10.0.0.9/32", sentRouteOf({ ...r, prefix: P("10.0.0.9/32") })!);
    expect(vipsJson(apps, sent)).toEqual([
      { vip: "10.0.0.1/32", announced: true, communities: ["12345:443", "65535:0"], med: null, local_pref: null, draining: true, apps: ["a", "b"], apps_not_serving: [] },
      { vip: "10.0.0.2/32", announced: false, communities: [], med: null, local_pref: null, draining: false, apps: ["a"], apps_not_serving: ["c"] },
      { vip: "10.0.0.9/32", announced: true, communities: ["12345:443", "65535:0"], med: null, local_pref: null, draining: true, apps: [], apps_not_serving: [] },
    ]);
  });
});
