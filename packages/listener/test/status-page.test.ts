// The listener's status page, from a status built by the real RIB, services
// map and statusOf: what it shows, and that nothing from outside becomes markup.

import { describe, expect, it } from "vitest";
import { NeighborTimes } from "../src/neighbor-times.js";
import type { RenderJob } from "../src/render-job.js";
import { Rib } from "../src/rib.js";
import { buildServices } from "../src/services.js";
import type { ListenerStatus } from "../src/status.js";
import { statusOf } from "../src/status.js";
import { listenerPage, MAX_BACKEND_ROWS } from "../src/status-page.js";
import { attrs, prefix } from "./exa-lines.js";

const NOW = Date.parse("2026-05-01T12:00:00.000Z");
/** The daemon's clock: 1000 ms of it is NOW. */
const toIso = (t: number) => new Date(NOW - (1000 - t)).toISOString();
const RS = "127.0.0.2";
const GONE = "127.0.0.3";

const job = (name: string, destination: string, last: RenderJob["last"]) =>
  ({ spec: { name, source: `/etc/exacast/${name}`, destination }, last }) as unknown as RenderJob;

function world(): ListenerStatus {
  const rib = new Rib({ communityAsn: 12345, maxRoutes: 1000 });
  const times = new NeighborTimes();
  rib.setState(RS, "up");
  times.state(RS, "up", 1000 - 95_000);
  rib.announce(RS, prefix("10.255.255.1/32"), 1, "192.0.2.2", attrs([[12345, 443], [12345, 80]], { med: 100, localPref: 200 }));
  rib.announce(RS, prefix("10.255.255.1/32"), 2, "192.0.2.3", attrs([[12345, 443], [65535, 0]]));
  rib.announce(RS, prefix("2001:db8::7/128"), 0, "2001:db8::2", attrs([[12345, 443]]));
  rib.announce(GONE, prefix("10.255.255.9/32"), 0, "192.0.2.9", attrs([[12345, 8080]]));
  rib.announce(GONE, prefix("10.255.255.10/32"), 0, "192.0.2.9", attrs([[12345, 8080], [65535, 0]]));
  const period = rib.sessionDown(GONE, true, 990);
  times.state(GONE, "down", 990);
  times.staleStarted(GONE, period, 1000 + 12_000);
  const jobs = [
    job("haproxy.cfg.ejs", "/etc/haproxy/haproxy.cfg", { result: "written", at: new Date(NOW - 3000).toISOString() }),
    job("nginx.ejs", "/etc/nginx/x.conf", { result: "check_failed", at: new Date(NOW - 2000).toISOString(), error: "check exit 1: <script>alert('check')</script>" }),
    job("never.ejs", "/tmp/never", undefined),
  ];
  const stats = { lines: 1234, skipped: 1000, rejected: { too_long: 0, not_json: 2, not_exabgp: 0 }, refused: 0 };
  return statusOf(rib, buildServices(rib.routes()), jobs, stats, { host: "lb-1", version: "1.2.3", pid: 4242, started: new Date(NOW - 3_600_000).toISOString(), times, toIso });
}

/** The text of the page with tags dropped, whitespace collapsed. */
const text = (page: string) => page.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

describe("listener status page", () => {
  it("is one self-contained document that reloads itself: no script, no external asset", () => {
    const page = listenerPage(world(), NOW);
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain('<meta http-equiv="refresh" content="5">');
    expect(page).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(page).toContain('href="status"');
  });

  it("shows per port its backends with neighbor, path id, MED, local pref, draining and stale with the grace left", () => {
    const page = listenerPage(world(), NOW);
    const t = text(page);
    expect(t).toContain("port 80 · 1 prefix · 1 backend");
    expect(t).toContain("port 443 · 2 prefixes · 3 backends");
    expect(t).toContain("port 8080 · 2 prefixes · 2 backends");
    expect(t).toMatch(/10\.255\.255\.1 \/32 up 127\.0\.0\.2 1 192\.0\.2\.2 100 200 12345:443 12345:80/);
    expect(t).toMatch(/10\.255\.255\.1 \/32 draining 127\.0\.0\.2 2 192\.0\.2\.3 — — 12345:443 65535:0/);
    expect(t).toMatch(/2001:db8::7 \/128 up 127\.0\.0\.2 0 2001:db8::2/);
    expect(t).toMatch(/10\.255\.255\.9 \/32 stale, 12s left 127\.0\.0\.3 0 192\.0\.2\.9/);
    expect(t).toMatch(/10\.255\.255\.10 \/32 stale, 12s left draining 127\.0\.0\.3 0 192\.0\.2\.9/);
  });

  it("shows neighbors with their state and since when, templates with their last render, and the input counts", () => {
    const t = text(listenerPage(world(), NOW));
    expect(t).toContain("127.0.0.2 up 1m 35s ago 3 0");
    expect(t).toContain("127.0.0.3 down 10ms ago 2 2 stale, 12s left");
    expect(t).toContain("haproxy.cfg.ejs /etc/haproxy/haproxy.cfg 3s ago written written");
    expect(t).toContain("nginx.ejs /etc/nginx/x.conf 2s ago check failed not written: left as it was");
    expect(t).toContain("never.ejs /tmp/never — not yet");
    expect(t).toContain("Lines read 1,234");
    expect(t).toContain("Skipped (prefilter) 1,000");
    expect(t).toContain("Rejected: not json 2");
    expect(t).toContain("1 / 2 Neighbors up");
    expect(t).toMatch(/exacast listener on lb-1 v1\.2\.3 pid 4242 up 1h 0m/);
  });

  it("escapes every value from outside: an error text holding markup shows as text", () => {
    const page = listenerPage(world(), NOW);
    expect(page).not.toContain("<script>");
    expect(page).toContain("check exit 1: &lt;script&gt;alert(&#39;check&#39;)&lt;/script&gt;");
  });

  it("escapes a hostile neighbor, address and template name too (whatever a status could hold)", () => {
    const s = world();
    const evil = '"><script>x()</script>';
    const hostile: ListenerStatus = {
      ...s,
      neighbors: [{ ...s.neighbors[0]!, address: evil, state: "up" }],
      backends: { 443: [{ ...s.backends[443]![0]!, address: evil, neighbor: evil, communities: [evil] }] },
      templates: [{ ...s.templates[0]!, name: evil, destination: evil }],
    };
    const page = listenerPage(hostile, NOW);
    expect(page).not.toMatch(/<script/i);
    expect(page.match(/&quot;&gt;&lt;script&gt;x\(\)&lt;\/script&gt;/g)?.length).toBe(6);
  });

  it(`shows at most ${MAX_BACKEND_ROWS} backends and says how many more /status holds`, () => {
    const rib = new Rib({ communityAsn: 12345, maxRoutes: 10_000 });
    for (let i = 0; i < MAX_BACKEND_ROWS + 20; i++) rib.announce(RS, prefix(`10.1.${i >> 8}.${i & 255}/32`), 0, "192.0.2.2", attrs([[12345, 443]]));
    const stats = { lines: 0, skipped: 0, rejected: { too_long: 0, not_json: 0, not_exabgp: 0 }, refused: 0 };
    const page = listenerPage(statusOf(rib, buildServices(rib.routes()), [], stats), NOW);
    expect(page.match(/<tr class="ok">/g)?.length).toBe(MAX_BACKEND_ROWS);
    expect(text(page)).toContain("20 more backends not shown: see /status");
  });

  it("with nothing yet: says so instead of showing empty tables", () => {
    const rib = new Rib({ communityAsn: 12345, maxRoutes: 10 });
    const stats = { lines: 0, skipped: 0, rejected: { too_long: 0, not_json: 0, not_exabgp: 0 }, refused: 0 };
    const t = text(listenerPage(statusOf(rib, buildServices(rib.routes()), [], stats), NOW));
    expect(t).toContain("No services: no route carries a service community.");
    expect(t).toContain("No neighbor seen yet.");
  });
});
