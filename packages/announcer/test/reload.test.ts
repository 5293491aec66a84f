// SIGHUP's reload on the fake clock: what each kind of change writes to
// ExaBGP (nothing for what did not change; never a withdraw of a healthy app),
// and a bad file refused with the old config running.

import { describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { Announcer } from "../src/announcer.js";
import type { AppCheckResult } from "../src/checks/index.js";
import { loadAnnouncerConfig } from "../src/config.js";
import type { AppSpec } from "../src/model.js";
import { ConfigReloader, checksChanged } from "../src/reload.js";

const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };
const HEAD = "next_hop: 192.0.2.2\ninterval: 1s\nfast_interval: 100ms\nrise: 2\nfall: 2\n";
const BASE = `${HEAD}apps:
  - { name: web, vip: 10.0.0.1/32, ports: [443] }
  - { name: dns, vip: 10.0.0.2/32, ports: [53] }
  - { name: old, vip: 10.0.0.3/32, ports: [25] }
`;

async function setup() {
  let file = BASE;
  const clock = new FakeClock();
  const out: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const checks = new Map<string, number>();
  const log = createLogger({ program: "t", level: "info", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const load = () => loadAnnouncerConfig(file, "/t/a.yaml");
  const first = load();
  if (!first.ok) throw new Error(first.error.join("\n"));
  const ann = new Announcer({ ...first.value, ack: false }, {
    clock,
    random: () => 0.5,
    log,
    write: (l) => void out.push(...l),
    check: async (e) => {
      checks.set(e.spec.name, (checks.get(e.spec.name) ?? 0) + 1);
      return PASS;
    },
    loopback: null,
    exit: () => {},
  });
  const reloader = new ConfigReloader(first.value, { load, announcer: ann, log });
  ann.load(first.value.apps);
  await clock.advance(150); // every app UP
  expect(out).toHaveLength(3);
  out.length = 0;
  return {
    clock,
    out,
    logs,
    checks,
    ann,
    reloader,
    write: (text: string) => void (file = text),
    state: (name: string) => ann.registry.get(name)?.state.name,
  };
}

describe("reload (SIGHUP)", () => {
  it("the same file: nothing written, every app keeps its state", async () => {
    const t = await setup();
    expect(t.reloader.reload()).toBe(true);
    await t.clock.advance(3000);
    expect(t.out).toEqual([]);
    expect(t.logs.find((l) => l.event === "config_reloaded")).toMatchObject({ created: 0, changed: 0, removed: 0 });
  });

  it("route keys changed: one announce with the new attributes, no withdraw, state kept", async () => {
    const t = await setup();
    t.write(BASE.replace("ports: [443] }", "ports: [443, 80], med: 5 }"));
    t.reloader.reload();
    await t.clock.advance(0);
    expect(t.out).toEqual(["announce route 10.0.0.1/32 next-hop 192.0.2.2 community [12345:80 12345:443] med 5"]);
    expect(t.state("web")).toBe("UP");
  });

  it("checks or timers changed: the app's checks start again at once from INIT, its route kept until they settle", async () => {
    const t = await setup();
    const before = t.checks.get("web")!;
    // With a splay a new app's first check would wait: a restarted one's does not.
    t.write(BASE.replace("ports: [443] }", "ports: [443], checks: [{ tcp: '127.0.0.1:1' }], rise: 3, splay: 10s }"));
    t.reloader.reload();
    expect(t.state("web")).toBe("INIT");
    await t.clock.advance(0);
    expect(t.checks.get("web")).toBe(before + 1); // at once, not at the next interval
    await t.clock.advance(300);
    expect(t.state("web")).toBe("UP");
    expect(t.out).toEqual([]); // never withdrawn, never announced again
  });

  it("an app gone is withdrawn, a new app starts and is announced after rise", async () => {
    const t = await setup();
    t.write(BASE.replace("  - { name: old, vip: 10.0.0.3/32, ports: [25] }\n", "  - { name: new, vip: 10.0.0.4/32, ports: [8080] }\n"));
    t.reloader.reload();
    await t.clock.advance(150);
    expect(t.out).toEqual(["withdraw route 10.0.0.3/32 next-hop 192.0.2.2", "announce route 10.0.0.4/32 next-hop 192.0.2.2 community [12345:8080]"]);
  });

  it("next_hop changed: every VIP announced again with it", async () => {
    const t = await setup();
    t.write(BASE.replace("next_hop: 192.0.2.2", "next_hop: 192.0.2.9"));
    t.reloader.reload();
    await t.clock.advance(0);
    expect(t.out).toEqual([
      "announce route 10.0.0.1/32 next-hop 192.0.2.9 community [12345:443]",
      "announce route 10.0.0.2/32 next-hop 192.0.2.9 community [12345:53]",
      "announce route 10.0.0.3/32 next-hop 192.0.2.9 community [12345:25]",
    ]);
  });

  it("a bad file is refused, every problem logged, and the old config keeps running", async () => {
    const t = await setup();
    t.write(BASE.replace("ports: [443]", "ports: [99999]").replace("vip: 10.0.0.2/32", "vip: banana"));
    expect(t.reloader.reload()).toBe(false);
    const refused = t.logs.find((l) => l.event === "config_refused");
    expect(refused).toMatchObject({ level: "error" });
    expect(String(refused!.problems)).toMatch(/apps\[0\]\.ports\[0\]: expected a port.*apps\[1\]\.vip/);
    await t.clock.advance(3000);
    expect(t.out).toEqual([]);
    expect(t.ann.registry.size).toBe(3);
    expect(t.reloader.stats).toEqual({ reloads: 0, refused: 1 });
  });

  it("keys that need a restart keep their running values, and the log says which", async () => {
    const t = await setup();
    t.write(`manage_loopback: always\nack: false\nhttp: { listen: "127.0.0.1:1" }\n${BASE}`);
    expect(t.reloader.reload()).toBe(true);
    expect(t.logs.find((l) => l.event === "config_restart_needed")).toMatchObject({ level: "warn", keys: "ack,manage_loopback,http" });
    expect(t.reloader.config.manageLoopback).toBe(false);
    expect(t.reloader.config.http).toBeNull();
  });

  it("a config app may not take the name of an app registered over HTTP", async () => {
    const t = await setup();
    const web = t.ann.registry.get("web")!.spec;
    t.ann.registry.upsert({ ...web, name: "api", source: "http", vips: [] } as AppSpec);
    t.write(`${BASE}  - { name: api, vip: 10.0.0.5/32 }\n`);
    expect(t.reloader.reload()).toBe(false);
    expect(String(t.logs.find((l) => l.event === "config_refused")!.problems)).toMatch(/apps\[3\]\.name: "api" is the name of an app registered from http/);
  });

  it("restarts the checks only when checks or timers changed", () => {
    const r = loadAnnouncerConfig(BASE, "/t/a.yaml");
    if (!r.ok) throw new Error("bad");
    const web = r.value.apps[0]!;
    expect(checksChanged(web, { ...web, ports: [1], med: 3 })).toBe(false);
    expect(checksChanged(web, { ...web, timers: { ...web.timers, fall: 9 } })).toBe(true);
    expect(checksChanged(web, { ...web, checks: [{ kind: "file_absent", path: "/x" }] as AppSpec["checks"] })).toBe(true);
  });
});
