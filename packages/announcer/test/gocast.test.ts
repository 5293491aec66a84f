// GoCast's forms as its code reads them (controller/app.go, server.go): VIPs
// with host bits are masked (net.ParseCIDR) with a warning, `nat=` entries
// become the app's `nat`, and /info answers GoBGP's api.Peer shape.

import { describe, expect, it } from "vitest";
import type { RequestContext } from "../src/app-request.js";
import { validateApp } from "../src/app-request.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { NeighborBook } from "../src/gocast-info.js";
import { gocastVip, parseGoCastRegister } from "../src/gocast.js";
import { DEFAULT_TIMERS } from "../src/model.js";

const ctx: RequestContext = {
  globals: { communityAsn: 12345, nextHop: "self", timers: DEFAULT_TIMERS, communities: [], med: null, localPref: null },
  baseDir: "/etc/exacast",
  rules: { consul: false, exec: false },
};
const q = (s: string) => new URLSearchParams(s);

describe("GoCast VIPs", () => {
  it("host bits are cleared as net.ParseCIDR does, with a warning naming both", () => {
    expect(gocastVip("10.9.9.5/24")).toEqual({ vip: "10.9.9.0/24", warning: "10.9.9.5/24 has host bits set; announcing 10.9.9.0/24 as GoCast does" });
    expect(gocastVip("192.0.2.255/25")).toMatchObject({ vip: "192.0.2.128/25" });
    expect(gocastVip("2001:db8::1:2/112")).toMatchObject({ vip: "2001:db8::1:0/112" });
    expect(gocastVip("2001:db8:aaaa:bbbb::1/33")).toMatchObject({ vip: "2001:db8:8000::/33" });
    expect(gocastVip("10.0.0.1/0")).toMatchObject({ vip: "0.0.0.0/0" });
  });

  it("a clean prefix passes unchanged and without a warning; junk keeps the strict parser's message", () => {
    expect(gocastVip("10.1.1.1/32")).toEqual({ vip: "10.1.1.1/32" });
    expect(gocastVip("10.1.1.1")).toEqual({ vip: "10.1.1.1/32" });
    expect(gocastVip("10.1.1.1/33")).toBe('invalid prefix "10.1.1.1/33": length must be 0..32');
    expect(gocastVip("10.1.1.1/24\nannounce")).toMatch(/^invalid prefix/);
    expect(gocastVip("999.1.1.1/24")).toMatch(/^invalid prefix/);
  });

  it("/register masks and warns; the announcer's own API and config keep refusing host bits", () => {
    const r = parseGoCastRegister(q("name=dns&vip=10.9.9.5/24"), { allowExec: false });
    expect(r).toMatchObject({ ok: true, value: { input: { vip: "10.9.9.0/24" }, warnings: ["vip: 10.9.9.5/24 has host bits set; announcing 10.9.9.0/24 as GoCast does"] } });
    const own = validateApp("dns", { vip: "10.9.9.5/24" }, "http", ctx);
    expect(own.ok ? "accepted" : own.error).toEqual(['vip: invalid prefix "10.9.9.5/24": host bits set beyond /24']);
    const cfg = loadAnnouncerConfig("apps:\n  - { name: dns, vip: 10.9.9.5/24 }\n", "/t/a.yaml", {}, {});
    expect(cfg.ok ? "accepted" : cfg.error.join()).toMatch(/host bits set beyond \/24/);
  });
});

describe("GoCast NAT entries", () => {
  it("tcp:53:8053 and udp:53 become the app's nat; bad ones are refused by index", () => {
    const r = parseGoCastRegister(q("name=dns&vip=10.9.9.1/32&nat=tcp:53:8053&nat=udp:53"), { allowExec: false });
    if (!r.ok) throw new Error(r.error.join());
    const v = validateApp("dns", r.value.input, "http", ctx);
    expect(v.ok && v.value.spec.nat).toEqual([
      { protocol: "tcp", port: 53, toPort: 8053 },
      { protocol: "udp", port: 53, toPort: 53 },
    ]);
    const bad = parseGoCastRegister(q("name=dns&vip=10.9.9.1/32&nat=tcp:53:8053&nat=sctp:1&nat=tcp:0&nat=tcp:53:9053"), { allowExec: false });
    if (!bad.ok) throw new Error(bad.error.join());
    const w = validateApp("dns", bad.value.input, "http", ctx);
    expect(w.ok ? "accepted" : w.error).toEqual([
      'nat[1]: expected protocol:port[:local_port], e.g. tcp:53:8053 or udp:53 (protocol tcp or udp, ports 1..65535), got "sctp:1"',
      'nat[2]: expected protocol:port[:local_port], e.g. tcp:53:8053 or udp:53 (protocol tcp or udp, ports 1..65535), got "tcp:0"',
    ]);
  });

  it("the config takes nat per app and at the top level as every app's default", () => {
    const cfg = loadAnnouncerConfig(
      ["nat: [udp:53]", "apps:", "  - { name: a, vip: 10.0.0.1/32 }", "  - { name: b, vip: 10.0.0.2/32, nat: [tcp:80:8080] }", "  - { name: c, vip: 10.0.0.3/32, nat: [] }"].join("\n") + "\n",
      "/t/a.yaml",
      {},
      {},
    );
    if (!cfg.ok) throw new Error(cfg.error.join());
    expect(cfg.value.apps.map((a) => a.nat)).toEqual([[{ protocol: "udp", port: 53, toPort: 53 }], [{ protocol: "tcp", port: 80, toPort: 8080 }], undefined]);
    const dup = loadAnnouncerConfig("apps:\n  - { name: a, vip: 10.0.0.1/32, nat: [tcp:53:8053, tcp:53:9053] }\n", "/t/a.yaml", {}, {});
    expect(dup.ok ? "accepted" : dup.error).toEqual(["/t/a.yaml: apps[0].nat[1]: tcp:53 is redirected twice; one local port per VIP port"]);
  });
});

describe("GoCast /info: GoBGP's api.Peer", () => {
  const unix = (t: number) => 1_700_000_000_000 + t;

  it("null before any neighbor is heard of (GoCast before its first announcement)", () => {
    expect(new NeighborBook().info(unix)).toBeNull();
  });

  it("the first neighbor that is up, with GoBGP's session_state numbers and Unix-second timers", () => {
    const b = new NeighborBook();
    b.seen("127.0.0.1", "connected", 0);
    expect(b.info(unix)).toEqual({ conf: { neighbor_address: "127.0.0.1" }, state: { neighbor_address: "127.0.0.1", session_state: 4 } });
    b.seen("127.0.0.9", "up", 5_000);
    b.seen("127.0.0.1", "down", 7_000);
    expect(b.info(unix)).toEqual({
      conf: { neighbor_address: "127.0.0.9" },
      state: { neighbor_address: "127.0.0.9", session_state: 6 },
      timers: { state: { uptime: { seconds: 1_700_000_005 } } },
    });
    b.seen("127.0.0.9", "down", 9_500);
    expect(b.info(unix)).toEqual({
      conf: { neighbor_address: "127.0.0.1" },
      state: { neighbor_address: "127.0.0.1", session_state: 3 },
      timers: { state: { downtime: { seconds: 1_700_000_007 } } },
    });
    b.seen("127.0.0.9", "up", 20_000);
    b.seen("127.0.0.9", "up", 30_000);
    expect(b.info(unix)?.timers).toEqual({ state: { uptime: { seconds: 1_700_000_020 }, downtime: { seconds: 1_700_000_009 } } });
  });
});
