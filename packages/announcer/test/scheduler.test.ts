import { describe, expect, it } from "vitest";
import type { AppCheckResult } from "../src/checks/index.js";
import type { AppSpec } from "../src/model.js";
import { loadAnnouncerConfig } from "../src/config.js";
import { AppRegistry } from "../src/registry.js";
import type { RegistryEvent } from "../src/registry.js";
import { Scheduler, gridStep } from "../src/scheduler.js";
import { FakeClock } from "@exacast/runtime";

function apps(yaml: string): AppSpec[] {
  const r = loadAnnouncerConfig(yaml, "/t/a.yaml");
  if (!r.ok) throw new Error(r.error.join("\n"));
  return [...r.value.apps];
}

const PASS: AppCheckResult = { pass: true, disabled: false, results: [], reason: "ok" };

describe("scheduler", () => {
  it("grid step: at most 5% of the wait", () => {
    expect([0, 19, 20, 39, 40, 100, 199, 200, 999.9999999, 1000, 60_000].map(gridStep)).toEqual([1, 1, 1, 1, 2, 5, 5, 10, 50, 50, 50]);
  });

  it("splays first checks, then checks at interval (fast while RISING), on the grid", async () => {
    const clock = new FakeClock();
    const reg = new AppRegistry(() => clock.now());
    const times: Record<string, number[]> = {};
    let r = 0;
    const randoms = [0.1, 0.5];
    const s = new Scheduler({
      clock,
      random: () => randoms[r++ % 2]!,
      check: async (e) => {
        (times[e.spec.name] ??= []).push(clock.now());
        return PASS;
      },
      onResult: () => {},
    });
    reg.on((e) => e.kind === "added" && s.start(e.entry));
    for (const a of apps("interval: 1s\nfast_interval: 100ms\nrise: 3\nsplay: 2s\napps:\n  - { name: a, vip: 10.0.0.1/32 }\n  - { name: b, vip: 10.0.0.2/32 }\n")) reg.upsert(a);
    await clock.advance(5000);
    // a: first at 200 (0.1 × 2 s), RISING → +100, +100 → UP → +1000…
    expect(times.a).toEqual([200, 300, 400, 1400, 2400, 3400, 4400]);
    expect(times.b).toEqual([1000, 1100, 1200, 2200, 3200, 4200]);
  });

  it("one run per app at a time: a slow check delays the next, never overlaps it", async () => {
    const clock = new FakeClock();
    const reg = new AppRegistry(() => clock.now());
    let running = 0;
    let maxRunning = 0;
    const starts: number[] = [];
    const s = new Scheduler({
      clock,
      random: () => 0,
      check: () =>
        new Promise((resolve) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          starts.push(clock.now());
          clock.setTimeout(() => {
            running--;
            resolve(PASS);
          }, 700);
        }),
      onResult: () => {},
    });
    reg.on((e) => e.kind === "added" && s.start(e.entry));
    reg.upsert(apps("interval: 500ms\nfast_interval: 500ms\napps:\n  - { name: a, vip: 10.0.0.1/32 }\n")[0]!);
    await clock.advance(3000);
    expect(maxRunning).toBe(1);
    expect(starts).toEqual([0, 1200, 2400]);
  });

  it("a result that arrives after the app was removed is dropped", async () => {
    const clock = new FakeClock();
    const reg = new AppRegistry(() => clock.now());
    const results: string[] = [];
    const s = new Scheduler({
      clock,
      random: () => 0,
      check: () => new Promise((resolve) => clock.setTimeout(() => resolve(PASS), 500)),
      onResult: (e) => void results.push(e.spec.name),
    });
    reg.on((e) => {
      if (e.kind === "added") s.start(e.entry);
      if (e.kind === "removed") s.stop(e.entry.spec.name);
    });
    reg.upsert(apps("apps:\n  - { name: a, vip: 10.0.0.1/32 }\n")[0]!);
    await clock.advance(100);
    reg.remove("a");
    await clock.advance(5000);
    expect(results).toEqual([]);
    expect(clock.timers).toBe(0);
  });
});

describe("registry", () => {
  const [web, api] = apps("apps:\n  - { name: web, vip: 10.0.0.1/32, ports: [443] }\n  - { name: api, vips: [10.0.0.1/32, 10.0.0.2/32], ports: [80] }\n");

  it("indexes apps by VIP and tells listeners", () => {
    const reg = new AppRegistry(() => 0);
    const seen: string[] = [];
    reg.on((e: RegistryEvent) => void seen.push(`${e.kind} ${e.entry.spec.name}`));
    expect(reg.upsert(web!)).toBe("created");
    expect(reg.upsert(api!)).toBe("created");
    expect(reg.onVip("10.0.0.1/32").map((e) => e.spec.name).sort()).toEqual(["api", "web"]);
    expect(reg.onVip("10.0.0.2/32").map((e) => e.spec.name)).toEqual(["api"]);
    reg.remove("api");
    expect(reg.onVip("10.0.0.2/32")).toEqual([]);
    expect(seen).toEqual(["added web", "added api", "removed api"]);
  });

  it("replacing keeps the app's state; the same spec again changes nothing", () => {
    const reg = new AppRegistry(() => 0);
    reg.upsert(web!);
    reg.get("web")!.state = { name: "UP", count: 0, serving: true, settled: "UP", since: 0 };
    expect(reg.upsert(web!)).toBe("unchanged");
    expect(reg.upsert({ ...web!, ports: [443, 8443] })).toBe("replaced");
    expect(reg.get("web")!.state.name).toBe("UP");
    expect(reg.get("web")!.spec.ports).toEqual([443, 8443]);
  });

  it("sync makes one source's apps exactly the given set and leaves the others", () => {
    const reg = new AppRegistry(() => 0);
    reg.upsert(web!);
    reg.upsert({ ...api!, source: "consul" });
    reg.upsert({ ...api!, name: "old", source: "consul" });
    expect(reg.sync("consul", [{ ...api!, source: "consul", ports: [81] }, { ...web!, name: "new", source: "consul" }])).toEqual({ created: 1, replaced: 1, removed: 1 });
    expect([...reg.entries()].map((e) => `${e.spec.name}:${e.spec.source}`).sort()).toEqual(["api:consul", "new:consul", "web:config"]);
  });
});
