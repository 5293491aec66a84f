// The announcer end to end in one process: fake clock, fake check results,
// and the exact lines it writes for ExaBGP.

import { describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import type { AnnouncerSettings } from "../src/announcer.js";
import { ACK_TIMEOUT_MS, Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import type { AppSpec } from "../src/model.js";
import { loadAnnouncerConfig } from "../src/config.js";
import type { Loopback } from "../src/loopback.js";
import { FakeClock } from "@exacast/runtime";

const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
const FAIL: AppCheckResult = { pass: false, disabled: false, results: [], reason: "tcp: connection refused" };
const MAINT: AppCheckResult = { pass: false, disabled: true, results: [], reason: "maintenance" };

const V1 = "announce route 10.255.255.1/32 next-hop 192.0.2.2 community";

function appsOf(yaml: string): AppSpec[] {
  const r = loadAnnouncerConfig(`next_hop: 192.0.2.2\ninterval: 1s\nfast_interval: 100ms\nrise: 2\nfall: 2\n${yaml}`, "/t/a.yaml");
  if (!r.ok) throw new Error(r.error.join("\n"));
  return [...r.value.apps];
}

const TWO_APPS = `
apps:
  - { name: web, vip: 10.255.255.1/32, ports: [443] }
  - { name: api, vip: 10.255.255.1/32, ports: [8443] }
`;

function setup(yaml = TWO_APPS, settings: Partial<AnnouncerSettings> = {}) {
  const clock = new FakeClock();
  const out: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const health = new Map<string, AppCheckResult>();
  const checks = new Map<string, number>();
  const exits: number[] = [];
  const loop: string[] = [];
  const onLo = new Set<string>();
  const loopback: Loopback = {
    // Put in place at once (the manager's own tests cover the wait).
    ready: (p) => {
      if (!onLo.has(p.text)) loop.push(`add ${p.text}`);
      onLo.add(p.text);
      return true;
    },
    remove: (p) => {
      onLo.delete(p.text);
      loop.push(`del ${p.text}`);
    },
    removeAll: async () => void loop.push("removeAll"),
  };
  const log = createLogger({ program: "t", level: "debug", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const apps = appsOf(yaml);
  const cfg = apps.length > 0 ? { ...settings } : settings;
  const r = loadAnnouncerConfig("next_hop: 192.0.2.2\n", "/t/a.yaml");
  if (!r.ok) throw new Error("bad base config");
  const ann = new Announcer(
    { communityAsn: 12345, nextHop: r.value.nextHop, ack: true, drainTime: 0, ...cfg },
    {
      clock,
      random: () => 0,
      log,
      write: (lines) => void out.push(...lines),
      check: async (e) => {
        checks.set(e.spec.name, (checks.get(e.spec.name) ?? 0) + 1);
        return health.get(e.spec.name) ?? FAIL;
      },
      loopback,
      exit: (c) => void exits.push(c),
    },
  );
  const events = (name: string) => logs.filter((l) => l.event === name);
  /** Answer every command written since the last call with `done`. */
  let answered = 0;
  const ackAll = async () => {
    while (answered < out.length) {
      answered++;
      ann.onLine("done");
      await clock.advance(0);
    }
  };
  return { clock, out, logs, events, health, checks, exits, loop, ann, apps, ackAll };
}

describe("announcer: two apps sharing a VIP", () => {
  it("announces the union of UP apps' ports, and withdraws when none is UP", async () => {
    const t = setup();
    t.ann.load(t.apps);
    t.health.set("web", PASS);
    await t.clock.advance(100); // web: RISING, then UP
    await t.ackAll();
    expect(t.out).toEqual([`${V1} [12345:443]`]);

    // api failed at 0 and 100 (DOWN); checked again at 1100 (RISING) and 1200 (UP).
    t.health.set("api", PASS);
    await t.clock.advance(1100);
    await t.ackAll();
    expect(t.out.slice(1)).toEqual([`${V1} [12345:443 12345:8443]`]);

    t.health.set("api", FAIL);
    await t.clock.advance(1100); // api: UP → FALLING → DOWN
    await t.ackAll();
    expect(t.out.slice(2)).toEqual([`${V1} [12345:443]`]);

    t.health.set("web", FAIL);
    await t.clock.advance(2000);
    await t.ackAll();
    expect(t.out.slice(3)).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2"]);
    expect(t.loop).toEqual(["add 10.255.255.1/32", "del 10.255.255.1/32"]);

    await t.clock.advance(5000);
    expect(t.out).toHaveLength(4); // nothing changed: nothing written
  });

  it("withdraws after exactly `fall` failed checks", async () => {
    const t = setup("apps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443], fall: 3 }\n");
    t.ann.load(t.apps);
    t.health.set("web", PASS);
    await t.clock.advance(200);
    await t.ackAll();
    expect(t.out).toHaveLength(1);
    t.health.set("web", FAIL);
    const before = t.checks.get("web")!;
    // UP at 100; checked at 1100 (FALLING 1/3), 1200 (2/3), 1300 (3/3: DOWN).
    await t.clock.advance(1200 - t.clock.now());
    expect(t.checks.get("web")! - before).toBe(2);
    expect(t.out).toHaveLength(1);
    await t.clock.advance(100);
    expect(t.checks.get("web")! - before).toBe(3);
    expect(t.out.at(-1)).toBe("withdraw route 10.255.255.1/32 next-hop 192.0.2.2");
    expect(t.events("app_state").map((e) => `${e.to}${e.count ? ` ${e.count}` : ""}`)).toEqual(["RISING 1/2", "UP", "FALLING 1/3", "FALLING 2/3", "DOWN"]);
  });

  it("maintenance withdraws and the end of it brings the app back through RISING", async () => {
    const t = setup("apps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443] }\n");
    t.ann.load(t.apps);
    t.health.set("web", PASS);
    await t.clock.advance(200);
    t.health.set("web", MAINT);
    await t.clock.advance(1000);
    await t.ackAll();
    expect(t.out.at(-1)).toBe("withdraw route 10.255.255.1/32 next-hop 192.0.2.2");
    t.health.set("web", PASS);
    await t.clock.advance(1100);
    await t.ackAll();
    expect(t.out.at(-1)).toBe(`${V1} [12345:443]`);
    expect(t.events("app_state").map((e) => e.to)).toEqual(["RISING", "UP", "DISABLED", "RISING", "UP"]);
  });
});

describe("announcer: the ExaBGP channel", () => {
  it("writes the next command only after `done`, and only the newest per VIP", async () => {
    const t = setup(`
apps:
  - { name: a, vip: 10.255.255.1/32, ports: [1] }
  - { name: b, vip: 10.255.255.2/32, ports: [2] }
  - { name: c, vip: 10.255.255.1/32, ports: [3] }
`);
    t.ann.load(t.apps);
    for (const n of ["a", "b"]) t.health.set(n, PASS);
    await t.clock.advance(100);
    expect(t.out).toEqual([`${V1} [12345:1]`]); // b's announcement waits for the answer
    t.ann.onLine("done");
    expect(t.out.slice(1)).toEqual(["announce route 10.255.255.2/32 next-hop 192.0.2.2 community [12345:2]"]);
    t.health.set("c", PASS);
    await t.clock.advance(1100); // c was DOWN; RISING at 1100, UP at 1200, while b's answer is awaited
    expect(t.out).toHaveLength(2);
    t.ann.onLine("done");
    // VIP 1 changed while waiting: its newest state only.
    expect(t.out.slice(2)).toEqual([`${V1} [12345:1 12345:3]`]);
  });

  it("logs an `error` answer with its command, and a missing answer after the timeout", async () => {
    // The API is set: an `error` is a refusal, not a sign to try API v6's form.
    const t = setup("apps:\n  - { name: a, vip: 10.255.255.1/32, ports: [1] }\n  - { name: b, vip: 10.255.255.2/32, ports: [2] }\n", { exabgpApi: 4 });
    t.ann.load(t.apps);
    t.health.set("a", PASS);
    t.health.set("b", PASS);
    await t.clock.advance(100);
    t.ann.onLine("error");
    expect(t.events("command_error")).toEqual([expect.objectContaining({ level: "error", command: `${V1} [12345:1]` })]);
    expect(t.out).toHaveLength(2);
    await t.clock.advance(ACK_TIMEOUT_MS);
    expect(t.events("ack_timeout")).toEqual([expect.objectContaining({ command: "announce route 10.255.255.2/32 next-hop 192.0.2.2 community [12345:2]" })]);
    expect(t.ann.link.stats).toMatchObject({ acks: 1, ackErrors: 1, ackTimeouts: 1 });
  });

  it("other lines on stdin are not taken for answers", async () => {
    const t = setup("apps:\n  - { name: a, vip: 10.255.255.1/32, ports: [1] }\n  - { name: b, vip: 10.255.255.2/32, ports: [2] }\n");
    t.ann.load(t.apps);
    t.health.set("a", PASS);
    t.health.set("b", PASS);
    await t.clock.advance(100);
    t.ann.onLine("neighbor 127.0.0.1 connected");
    t.ann.onLine('{"exabgp": "4.0.1", "type": "update", "neighbor": {}}');
    t.ann.onLine("neighbor 127.0.0.1 receive update announced 10.0.0.0/8 next-hop 192.0.2.9");
    expect(t.out).toHaveLength(1);
    t.ann.onLine("done");
    expect(t.out).toHaveLength(2);
  });

  it("a neighbor coming up gets the whole announced set again (text or JSON)", async () => {
    const t = setup("apps:\n  - { name: a, vip: 10.255.255.1/32, ports: [1] }\n  - { name: b, vip: 10.255.255.2/32, ports: [2] }\n", { ack: false });
    t.ann.load(t.apps);
    t.health.set("a", PASS);
    t.health.set("b", PASS);
    await t.clock.advance(100);
    expect(t.out).toHaveLength(2);
    t.ann.onLine("neighbor 127.0.0.1 up");
    expect(t.out.slice(2)).toEqual(t.out.slice(0, 2));
    t.ann.onLine(
      '{ "exabgp": "4.0.1", "time": 1.0, "host" : "h", "pid" : 1, "ppid" : 1, "counter": 1, "type": "state", "neighbor": { "address": { "local": "127.0.0.2", "peer": "127.0.0.1" }, "asn": { "local": 65000, "peer": 64999 } , "state": "up" } }',
    );
    expect(t.out).toHaveLength(6);
    t.ann.onLine("neighbor 127.0.0.1 down - peer reset");
    expect(t.out).toHaveLength(6);
  });
});

describe("announcer: drain", () => {
  it("drain_file present → 65535:0 on every VIP; gone → without", async () => {
    const t = setup("apps:\n  - { name: a, vip: 10.255.255.1/32, ports: [1] }\n  - { name: b, vip: 10.255.255.2/32, ports: [2] }\n", { ack: false });
    t.ann.load(t.apps);
    t.health.set("a", PASS);
    await t.clock.advance(100);
    // b failed from the start: its VIP's first verdict is a withdraw.
    expect(t.out).toEqual([`${V1} [12345:1]`, "withdraw route 10.255.255.2/32 next-hop 192.0.2.2"]);
    t.ann.setDraining(true);
    await t.clock.advance(0);
    expect(t.out.slice(2)).toEqual([`${V1} [12345:1 65535:0]`]);
    t.health.set("b", PASS);
    await t.clock.advance(1100);
    expect(t.out.slice(3)).toEqual(["announce route 10.255.255.2/32 next-hop 192.0.2.2 community [12345:2 65535:0]"]);
    t.ann.setDraining(false);
    await t.clock.advance(0);
    expect(t.out.slice(4)).toEqual([`${V1} [12345:1]`, "announce route 10.255.255.2/32 next-hop 192.0.2.2 community [12345:2]"]);
  });
});

describe("announcer: shutdown", () => {
  async function upAndAcked(settings: Partial<AnnouncerSettings>) {
    const t = setup("apps:\n  - { name: a, vip: 10.255.255.1/32, ports: [1] }\n  - { name: b, vip: 10.255.255.2/32, ports: [2] }\n", settings);
    t.ann.load(t.apps);
    t.health.set("a", PASS);
    t.health.set("b", PASS);
    await t.clock.advance(100);
    await t.ackAll();
    expect(t.out).toHaveLength(2);
    return t;
  }

  it("SIGTERM with drain_time: announce draining, wait, withdraw everything, exit 0", async () => {
    const t = await upAndAcked({ drainTime: 3000 });
    const done = t.ann.shutdown("SIGTERM");
    await t.clock.advance(0);
    await t.ackAll();
    expect(t.out.slice(2)).toEqual([`${V1} [12345:1 65535:0]`, "announce route 10.255.255.2/32 next-hop 192.0.2.2 community [12345:2 65535:0]"]);
    await t.clock.advance(2999);
    expect(t.out).toHaveLength(4);
    await t.clock.advance(1);
    await t.ackAll();
    await done;
    expect(t.out.slice(4)).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2", "withdraw route 10.255.255.2/32 next-hop 192.0.2.2"]);
    expect(t.exits).toEqual([0]);
    expect(t.loop.at(-1)).toBe("removeAll");
    expect(t.events("exit")).toEqual([expect.objectContaining({ code: 0, withdrawn: 2 })]);
    await t.clock.advance(10_000);
    expect(t.out).toHaveLength(6); // checks stopped: nothing after exit
  });

  it("ExaBGP's `shutdown`: no drain, no waiting for answers", async () => {
    const t = await upAndAcked({ drainTime: 3000 });
    t.ann.onLine("shutdown 4242 1");
    await t.clock.advance(0);
    expect(t.out.slice(2)).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2", "withdraw route 10.255.255.2/32 next-hop 192.0.2.2"]);
    await t.clock.advance(0);
    expect(t.exits).toEqual([0]);
  });

  it("EOF during a drain cuts it short", async () => {
    const t = await upAndAcked({ drainTime: 60_000 });
    void t.ann.shutdown("SIGINT");
    await t.clock.advance(10);
    void t.ann.shutdown("eof");
    await t.clock.advance(0);
    expect(t.out.slice(-2)).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2", "withdraw route 10.255.255.2/32 next-hop 192.0.2.2"]);
    expect(t.exits).toEqual([0]);
  });

  it("stdout closed: nothing more is written, still exit 0", async () => {
    const t = await upAndAcked({});
    await t.ann.shutdown("stdout");
    expect(t.out).toHaveLength(2);
    expect(t.exits).toEqual([0]);
  });

  it("an ExaBGP that stops answering cannot hold the exit for long", async () => {
    const t = await upAndAcked({});
    const done = t.ann.shutdown("SIGTERM");
    await t.clock.advance(5000);
    await done;
    expect(t.exits).toEqual([0]);
    expect(t.out.slice(2)).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2", "withdraw route 10.255.255.2/32 next-hop 192.0.2.2"]);
  });
});

describe("announcer: apps added and removed at run time", () => {
  it("a new app's port joins the VIP; a removed app's port leaves it", async () => {
    const t = setup("apps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443] }\n", { ack: false });
    t.ann.load(t.apps);
    t.health.set("web", PASS);
    t.health.set("late", PASS);
    await t.clock.advance(100);
    const [late] = appsOf("apps:\n  - { name: late, vip: 10.255.255.1/32, ports: [80] }\n");
    expect(t.ann.registry.upsert({ ...late!, source: "http" })).toBe("created");
    await t.clock.advance(100);
    expect(t.out.at(-1)).toBe(`${V1} [12345:80 12345:443]`);
    expect(t.ann.registry.upsert({ ...late!, source: "http" })).toBe("unchanged");
    t.ann.registry.remove("late");
    await t.clock.advance(0);
    expect(t.out.at(-1)).toBe(`${V1} [12345:443]`);
    t.ann.registry.remove("web");
    await t.clock.advance(0);
    expect(t.out.at(-1)).toBe("withdraw route 10.255.255.1/32 next-hop 192.0.2.2");
    await t.clock.advance(10_000);
    expect(t.checks.get("web")).toBeLessThan(5); // its timer stopped
  });
});

describe("announcer: the first verdict after a start", () => {
  // ExaBGP keeps a dead process's routes and starts a new one: the new
  // process must withdraw a VIP whose apps are down, though it never
  // announced it itself (chaos-route-server.test.ts found this).
  it("withdraws a never-announced VIP once every app on it is DOWN, once", async () => {
    const t = setup();
    t.ann.load(t.apps);
    await t.clock.advance(0); // both FALLING 1/2: no verdict yet
    expect(t.out).toEqual([]);
    await t.clock.advance(100); // both DOWN
    await t.ackAll();
    expect(t.out).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2"]);
    expect(t.events("withdraw")).toEqual([expect.objectContaining({ vip: "10.255.255.1/32" })]);
    await t.clock.advance(5000);
    expect(t.out).toHaveLength(1); // still down: nothing more
    t.health.set("web", PASS);
    await t.clock.advance(1100);
    await t.ackAll();
    expect(t.out.slice(1)).toEqual([`${V1} [12345:443]`]);
  });

  it("never withdraws first a VIP whose apps come up, nor while one is still deciding", async () => {
    const t = setup(TWO_APPS + "  - { name: slow, vip: 10.255.255.1/32, ports: [80], rise: 5, fall: 5 }\n");
    t.ann.load(t.apps);
    t.health.set("web", PASS);
    await t.clock.advance(100); // web UP, api DOWN, slow FALLING 2/5
    await t.ackAll();
    expect(t.out).toEqual([`${V1} [12345:443]`]);
    const u = setup("apps:\n  - { name: a, vip: 10.255.255.1/32, ports: [1] }\n  - { name: b, vip: 10.255.255.1/32, ports: [2], fall: 5 }\n");
    u.ann.load(u.apps);
    await u.clock.advance(300); // a DOWN, b FALLING 4/5: not settled
    expect(u.out).toEqual([]);
    await u.clock.advance(100); // b DOWN: every app settled down
    expect(u.out).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2"]);
  });

  it("a VIP whose apps are in maintenance from the start is withdrawn too", async () => {
    const t = setup("apps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443] }\n");
    t.health.set("web", MAINT);
    t.ann.load(t.apps);
    await t.clock.advance(0);
    expect(t.out).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2"]);
  });
});
