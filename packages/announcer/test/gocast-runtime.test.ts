// GoCast's behaviours wired into the announcer, on a fake clock: an app
// registered with /register is dropped cleanup_after after its VIP was
// withdrawn (GoCast's cleanup_timer), its nat= rules follow the announcement,
// and /info's neighbor comes from ExaBGP's neighbor lines.

import { createLogger } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { describe, expect, it } from "vitest";
import { Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { Runtime } from "../src/runtime.js";

const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
const FAIL: AppCheckResult = { pass: false, disabled: false, results: [], reason: "listening: nothing listens" };

function setup(http: string) {
  const cfg = loadAnnouncerConfig(`next_hop: 192.0.2.2\ninterval: 1s\nfast_interval: 100ms\nrise: 1\nfall: 1\nhttp: { state_file: null, ${http} }\n`, "/t/a.yaml", {}, {});
  if (!cfg.ok) throw new Error(cfg.error.join("\n"));
  const clock = new FakeClock();
  const out: string[] = [];
  const logs: string[] = [];
  const nft: string[] = [];
  const health = new Map<string, AppCheckResult>();
  const log = createLogger({ program: "t", level: "info", write: (l) => void logs.push(l) });
  const ann = new Announcer(
    { ...cfg.value, ack: false, drainTime: 0 },
    { clock, random: () => 0, log, write: (l) => void out.push(...l), check: async (e) => health.get(e.spec.name) ?? PASS, loopback: null, exit: () => {} },
  );
  const runtime = new Runtime(cfg.value, ann, null, log, {
    version: "t",
    clock,
    natRunner: async (argv) => {
      nft.push(argv.join(" "));
      return { ok: true, output: argv[1] === "--version" ? "v1 (nf_tables)" : "" };
    },
  });
  const register = (query: string) => runtime.httpApps!.register(new URLSearchParams(query));
  return { clock, out, logs, nft, health, ann, runtime, register };
}

const ANNOUNCE = "announce route 10.9.9.0/24 next-hop 192.0.2.2 community [12345:8053]";
const WITHDRAW = "withdraw route 10.9.9.0/24 next-hop 192.0.2.2";

describe("GoCast's cleanup_timer: http.cleanup_after", () => {
  it("an app withdrawn for cleanup_after is dropped; registering it again starts the wait over", async () => {
    const t = setup("cleanup_after: 60s");
    const r = t.register("name=dns&vip=10.9.9.5/24&monitor=port:tcp:8053");
    expect(r).toMatchObject({ status: 200, json: { result: "created", warnings: ["vip: 10.9.9.5/24 has host bits set; announcing 10.9.9.0/24 as GoCast does"] } });
    expect(t.logs.join("")).toMatch(/gocast_register_warning app=dns/);
    await t.clock.advance(10);
    expect(t.out).toEqual([ANNOUNCE]);
    t.health.set("dns", FAIL);
    await t.clock.advance(1000);
    expect(t.out).toEqual([ANNOUNCE, WITHDRAW]);
    const withdrawnAt = t.clock.now();
    await t.clock.advance(30_000);
    expect(t.register("name=dns&vip=10.9.9.5/24&monitor=port:tcp:8053").status).toBe(200);
    await t.clock.advance(withdrawnAt + 60_000 - t.clock.now() + 1000);
    expect(t.ann.registry.get("dns")).toBeDefined();
    await t.clock.advance(30_000);
    expect(t.ann.registry.get("dns")).toBeUndefined();
    expect(t.logs.join("")).toMatch(/http_app_cleanup app=dns waited_ms=60000/);
    expect(t.out).toEqual([ANNOUNCE, WITHDRAW]);
  });

  it("coming back up stops the wait; an app that never came up is kept, as in GoCast", async () => {
    const t = setup("cleanup_after: 60s");
    t.health.set("never", FAIL);
    t.register("name=never&vip=10.9.8.1/32");
    t.register("name=dns&vip=10.9.9.0/24&monitor=port:tcp:8053");
    await t.clock.advance(10);
    t.health.set("dns", FAIL);
    await t.clock.advance(50_000);
    expect([...t.runtime.cleanup!.pending.keys()]).toEqual(["dns"]);
    t.health.delete("dns");
    await t.clock.advance(2000);
    expect(t.runtime.cleanup!.pending.size).toBe(0);
    await t.clock.advance(20_000);
    expect(t.ann.registry.get("dns")).toBeDefined();
    t.health.set("dns", FAIL);
    await t.clock.advance(59_000);
    expect([...t.ann.registry.entries()].map((e) => e.spec.name).sort()).toEqual(["dns", "never"]);
    await t.clock.advance(2000);
    expect([...t.ann.registry.entries()].map((e) => e.spec.name)).toEqual(["never"]);
    await t.clock.advance(3_600_000);
    expect(t.ann.registry.get("never")).toBeDefined();
  });

  it("without cleanup_after nothing is dropped (exacast's default: apps live until deleted)", async () => {
    const t = setup("");
    t.register("name=dns&vip=10.9.9.0/24&monitor=port:tcp:8053");
    await t.clock.advance(10);
    t.health.set("dns", FAIL);
    await t.clock.advance(2 * 3_600_000);
    expect(t.ann.registry.get("dns")).toBeDefined();
    expect(t.runtime.cleanup).toBeNull();
  });
});

describe("GoCast's nat= while the VIP is announced", () => {
  it("the rule goes in with the announcement and out with the withdrawal and at exit", async () => {
    const t = setup("");
    t.register("name=dns&vip=10.9.9.0/24&monitor=port:tcp:8053&nat=tcp:53:8053&nat=udp:53:8053");
    await t.clock.advance(10);
    await t.runtime.nat.settled();
    expect(t.out).toEqual([ANNOUNCE]);
    const rules = (s: string) => s.split("\n").filter((l) => l.includes("redirect")).map((l) => l.trim());
    expect(rules(t.nft.at(-1)!)).toEqual(["ip daddr 10.9.9.0/24 tcp dport 53 redirect to :8053", "ip daddr 10.9.9.0/24 udp dport 53 redirect to :8053"]);
    t.health.set("dns", FAIL);
    await t.clock.advance(1000);
    await t.runtime.nat.settled();
    expect(t.out.at(-1)).toBe(WITHDRAW);
    expect(t.nft.at(-1)).toBe("nft add table inet exacast\ndelete table inet exacast\n");
    t.health.delete("dns");
    await t.clock.advance(1000);
    await t.runtime.nat.settled();
    expect(rules(t.nft.at(-1)!)).toHaveLength(2);
    const before = t.nft.length;
    await t.runtime.stop();
    expect(t.nft.slice(before)).toEqual(["nft add table inet exacast\ndelete table inet exacast\n"]);
  });

  it("apps without nat never touch the firewall", async () => {
    const t = setup("");
    t.register("name=web&vip=10.9.9.0/24&monitor=port:tcp:8053");
    await t.clock.advance(10);
    t.health.set("web", FAIL);
    await t.clock.advance(1000);
    await t.runtime.stop();
    expect(t.out).toEqual([ANNOUNCE, WITHDRAW]);
    expect(t.nft).toEqual([]);
  });
});

describe("GoCast's /info from ExaBGP's neighbor lines", () => {
  it("text and JSON neighbor events feed the peer GoCast's /info shows", () => {
    const t = setup("");
    const unix = (ms: number) => ms;
    expect(t.runtime.neighbors.info(unix)).toBeNull();
    t.ann.onLine("neighbor 127.0.0.1 connected");
    t.ann.onLine("neighbor 127.0.0.1 up");
    expect(t.runtime.neighbors.info(unix)).toMatchObject({ conf: { neighbor_address: "127.0.0.1" }, state: { session_state: 6 } });
    t.ann.onLine('{"exabgp":"4.0.1","time":1,"host":"h","pid":1,"ppid":1,"counter":1,"type":"state","neighbor":{"address":{"local":"127.0.0.2","peer":"127.0.0.1"},"asn":{"local":65000,"peer":64999},"state":"down","reason":"x"}}');
    expect(t.runtime.neighbors.info(unix)).toMatchObject({ state: { neighbor_address: "127.0.0.1", session_state: 3 } });
  });
});
