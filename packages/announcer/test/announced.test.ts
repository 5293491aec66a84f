// announced_file: what ExaBGP may hold from the announcer, kept for the
// process that ExaBGP starts after this one dies. Fake clock, files in memory.

import { describe, expect, it } from "vitest";
import type { RouteSpec } from "@exacast/core";
import { buildWithdraw, createLogger, parseAddress, parsePrefix } from "@exacast/core";
import type { ReplaceOptions, ReplaceOutcome } from "@exacast/runtime";
import { FakeClock, MemoryFiles } from "@exacast/runtime";
import { Announcer } from "../src/announcer.js";
import { AnnouncedStore, entryOf, routeOfEntry } from "../src/announced-store.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { loadAnnouncerConfig } from "../src/config.js";

const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
const FAIL: AppCheckResult = { pass: false, disabled: false, results: [], reason: "tcp: connection refused" };
const FILE = "/state/a.announced.json";

/** Files in memory whose writes can be held, as a slow disk would. */
class SlowFiles extends MemoryFiles {
  held: (() => void)[] = [];
  hold = false;
  override async replaceFile(destination: string, text: string, opts?: ReplaceOptions): Promise<ReplaceOutcome> {
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    return super.replaceFile(destination, text, opts);
  }
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
}

const route = (vip: string, nh = "192.0.2.2"): RouteSpec => {
  const p = parsePrefix(vip);
  const a = parseAddress(nh);
  if (!p.ok || !a.ok) throw new Error("bad test route");
  return { prefix: p.value, nextHop: a.value };
};

async function setup(apps: string, opts: { saved?: RouteSpec[]; ack?: boolean; neverChecked?: string } = {}) {
  const clock = new FakeClock();
  const out: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const files = new SlowFiles();
  const log = createLogger({ program: "t", level: "debug", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const cfg = loadAnnouncerConfig(`next_hop: 192.0.2.2\ninterval: 1s\nfast_interval: 100ms\nrise: 2\nfall: 2\napps:\n${apps}`, "/t/a.yaml");
  if (!cfg.ok) throw new Error(cfg.error.join("\n"));
  const health = new Map<string, AppCheckResult>();
  const store = new AnnouncedStore(FILE, { log, clock, files });
  if (opts.saved) await store.save(new Map(opts.saved.map((r) => [r.prefix.text, r])));
  const seen: string[] = [];
  const ann = new Announcer(
    { communityAsn: 12345, nextHop: cfg.value.nextHop, ack: opts.ack ?? true, drainTime: 0 },
    {
      clock,
      random: () => 0,
      log,
      // What the file held when each line went out.
      write: (lines) => {
        for (const l of lines) seen.push(`${l} | file: ${vipsOnDisk().join(" ")}`);
        out.push(...lines);
      },
      check: (e) => (e.spec.name === opts.neverChecked ? new Promise(() => {}) : Promise.resolve(health.get(e.spec.name) ?? FAIL)),
      loopback: null,
      announced: store,
      exit: () => {},
    },
  );
  const vipsOnDisk = (): string[] => {
    const t = files.text(FILE);
    return t ? (JSON.parse(t) as { routes: { vip: string }[] }).routes.map((r) => r.vip) : [];
  };
  let answered = 0;
  /** Answer `done` to what was written, as long as `more()` holds. */
  const ackWhile = async (more: () => boolean) => {
    while (answered < out.length && more()) {
      answered++;
      ann.onLine("done");
      await clock.advance(0);
    }
  };
  const ackAll = () => ackWhile(() => true);
  const start = async () => {
    ann.inherit(await new AnnouncedStore(FILE, { log, clock, files }).load());
    ann.load(cfg.value.apps);
  };
  return { clock, out, seen, logs, files, store, ann, health, vipsOnDisk, ackAll, ackWhile, start, events: (n: string) => logs.filter((l) => l.event === n) };
}

const WEB = "  - { name: web, vip: 10.255.255.1/32, ports: [443] }\n";

describe("announced_file: a VIP is on disk before it is announced, and leaves once withdrawn and answered", () => {
  it("the first announce waits for the file; a re-announce does not; the withdraw leaves the file after ExaBGP's done", async () => {
    const t = await setup(WEB + "  - { name: api, vip: 10.255.255.1/32, ports: [8443] }\n");
    await t.start();
    t.files.hold = true;
    t.health.set("web", PASS);
    await t.clock.advance(100); // web UP: the VIP is written first
    expect(t.out).toEqual([]);
    t.files.release();
    await t.clock.advance(0);
    expect(t.seen).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443] | file: 10.255.255.1/32"]);
    await t.ackAll();
    // Another port on the same VIP: announced at once (the file already holds it), the file untouched.
    const writes = t.files.written.length;
    t.files.hold = true;
    t.health.set("api", PASS);
    await t.clock.advance(1100);
    expect(t.out.at(-1)).toBe("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 12345:8443]");
    t.files.release();
    await t.ackAll();
    expect(t.files.written.length).toBe(writes);
    // Down: withdrawn; the file keeps the VIP until ExaBGP answered the withdraw.
    t.health.set("web", FAIL);
    t.health.set("api", FAIL);
    await t.clock.advance(3000);
    await t.ackWhile(() => !t.out.at(-1)!.startsWith("withdraw"));
    expect(t.out.at(-1)).toBe("withdraw route 10.255.255.1/32 next-hop 192.0.2.2");
    expect(t.vipsOnDisk()).toEqual(["10.255.255.1/32"]);
    await t.ackAll();
    expect(t.vipsOnDisk()).toEqual([]);
  });

  it("with ack off the withdrawn VIP leaves the file at once", async () => {
    const t = await setup(WEB, { ack: false });
    await t.start();
    t.health.set("web", PASS);
    await t.clock.advance(100);
    expect(t.vipsOnDisk()).toEqual(["10.255.255.1/32"]);
    t.health.set("web", FAIL);
    await t.clock.advance(1200);
    expect(t.out.at(-1)).toBe("withdraw route 10.255.255.1/32 next-hop 192.0.2.2");
    expect(t.vipsOnDisk()).toEqual([]);
  });

  it("an app that goes down while its VIP is being written is not announced (its first verdict is a withdraw)", async () => {
    const t = await setup(WEB);
    await t.start();
    t.files.hold = true;
    t.health.set("web", PASS);
    await t.clock.advance(100);
    expect(t.vipsOnDisk()).toEqual([]);
    t.health.set("web", FAIL);
    await t.clock.advance(1200); // web: FALLING, DOWN: no longer serving
    t.files.release();
    await t.clock.advance(0);
    expect(t.out).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2"]);
    await t.ackAll();
    expect(t.vipsOnDisk()).toEqual([]);
  });

  it("a file that cannot be written does not stop announcements (logged once)", async () => {
    const t = await setup(WEB);
    await t.start();
    t.files.refuse.set(FILE, "EROFS: read-only file system");
    t.health.set("web", PASS);
    await t.clock.advance(100);
    await t.clock.advance(0);
    expect(t.out).toEqual(["announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]"]);
    expect(t.events("announced_file_not_written")).toHaveLength(1);
    t.files.refuse.clear();
    await t.ackAll();
    t.health.set("web", FAIL);
    await t.clock.advance(1200);
    await t.ackAll();
    expect(t.events("announced_file_recovered")).toHaveLength(1);
  });
});

describe("announced_file at start: what a predecessor announced", () => {
  const saved = [route("10.255.255.1/32"), route("10.255.255.9/32", "192.0.2.7")];

  it("a VIP no app names is withdrawn at the sweep, with the next hop it was announced with, not before", async () => {
    const t = await setup(WEB, { saved });
    await t.start();
    t.health.set("web", PASS);
    await t.clock.advance(50);
    expect(t.out).toEqual([]); // no sweep yet (Consul, the HTTP state file may still name it)
    t.ann.sweep();
    await t.clock.advance(0);
    expect(t.out).toEqual(["withdraw route 10.255.255.9/32 next-hop 192.0.2.7"]);
    await t.clock.advance(100); // web UP: announced, never withdrawn first
    await t.ackAll();
    expect(t.out).toEqual(["withdraw route 10.255.255.9/32 next-hop 192.0.2.7", "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]"]);
    expect(t.vipsOnDisk()).toEqual(["10.255.255.1/32"]);
  });

  it("a VIP whose app is down is withdrawn at its first verdict; at shutdown, inherited VIPs not yet decided go too", async () => {
    const t = await setup(WEB + "  - { name: slow, vip: 10.255.255.5/32, ports: [80] }\n", { saved: [...saved, route("10.255.255.5/32")], neverChecked: "slow" });
    await t.start();
    await t.clock.advance(150); // web: DOWN after 2 failures
    expect(t.out).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2"]);
    await t.ackAll();
    expect(t.vipsOnDisk()).toEqual(["10.255.255.5/32", "10.255.255.9/32"]);
    void t.ann.shutdown("SIGTERM");
    await t.clock.advance(0);
    await t.ackAll();
    // slow (its check never ends) and the unnamed one (no sweep yet): withdrawn as this process stops.
    expect(t.out.slice(1)).toEqual(["withdraw route 10.255.255.5/32 next-hop 192.0.2.2", "withdraw route 10.255.255.9/32 next-hop 192.0.2.7"]);
    // The file is left for the next process (it may already run: ExaBGP's SIGUSR2), though ExaBGP answered.
    expect(t.vipsOnDisk()).toEqual(["10.255.255.5/32", "10.255.255.9/32"]);
  });
});

describe("announced_file: reading it back", () => {
  it("takes validated entries only; a file that is not ours is moved aside", async () => {
    expect(routeOfEntry({ vip: "10.0.0.1/32", next_hop: "self" })).toMatchObject({ nextHop: "self" });
    expect(routeOfEntry({ vip: "10.0.0.1/32", next_hop: "192.0.2.2", path_id: 7 })).toMatchObject({ pathId: 7 });
    expect(routeOfEntry({ vip: "10.0.0.1/32 next-hop self\nannounce", next_hop: "self" })).toMatch(/^vip: /);
    expect(routeOfEntry({ vip: "10.0.0.1/32", next_hop: "self community [1:1]" })).toMatch(/^next_hop: /);
    expect(routeOfEntry({ vip: "10.0.0.1/32", next_hop: "self", path_id: -1 })).toMatch(/^path_id: /);
    // A VIP announced to chosen neighbors is withdrawn from those (buildWithdraw re-checks them).
    const chosen = routeOfEntry({ vip: "10.0.0.1/32", next_hop: "self", neighbors: ["192.0.2.1", "2001:db8::1"] });
    expect(typeof chosen !== "string" && buildWithdraw(chosen)).toEqual({ ok: true, value: "neighbor 192.0.2.1 , neighbor 2001:db8::1 withdraw route 10.0.0.1/32 next-hop self" });
    expect(typeof chosen !== "string" && routeOfEntry(entryOf(chosen))).toEqual(chosen);
    expect(routeOfEntry({ vip: "10.0.0.1/32", next_hop: "self", neighbors: ["192.0.2.1 announce route 6.6.6.6/32 next-hop self"] })).toMatch(/^neighbors: /);
    const clock = new FakeClock();
    const logs: Record<string, unknown>[] = [];
    const log = createLogger({ program: "t", level: "debug", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
    const files = new MemoryFiles();
    files.files.set(FILE, { text: JSON.stringify({ version: 1, routes: [{ vip: "10.0.0.1/32", next_hop: "self" }, { vip: "bad" }] }), mode: 0o644 });
    const store = new AnnouncedStore(FILE, { log, clock, files });
    expect((await store.load()).map((r) => r.prefix.text)).toEqual(["10.0.0.1/32"]);
    expect(store.covers("10.0.0.1/32")).toBe(true);
    expect(logs.map((l) => l.event)).toEqual(["announced_file_entry_skipped"]);
    files.files.set(FILE, { text: "{ not json", mode: 0o644 });
    const asides: string[] = [];
    const other = new AnnouncedStore(FILE, { log, clock, files, setAside: async (p, why) => (asides.push(p), `${p}.${why}-1`) });
    expect(await other.load()).toEqual([]);
    expect(asides).toEqual([FILE]);
    expect(logs.at(-1)).toMatchObject({ event: "announced_file_invalid", moved_to: `${FILE}.invalid-1` });
  });
});
