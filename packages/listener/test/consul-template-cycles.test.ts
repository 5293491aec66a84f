// The daemon with consul-template's render habits, on a fake clock: a
// template's own wait, the top-level reload (once per cycle, and what its
// failure puts back), and a template's own failed reload keeping the older
// .bak. No sleeps: every "not yet" is exact.

import { describe, expect, it } from "vitest";
import { ALL, FAIL, OK, ONLY_80, route, world } from "./consul-template-world.js";
import { announce } from "./exa-lines.js";

describe("per-template wait: { min, max }", () => {
  const yaml = "debounce: 50ms\nmax_wait: 2s\nstartup_wait: 2s\ntemplates:\n  - {source: a.ejs, destination: a.txt}\n  - {source: b.ejs, destination: b.txt, wait: {min: 1s, max: 3s}}\n";

  it("a template with a wait renders once no change came for min; the others keep the debounce", async () => {
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ALL });
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(w.files.text("/lb/a.txt")).toBe("80: 10.0.0.1/32\n");
    expect(w.files.text("/lb/b.txt")).toBeUndefined();
    await w.clock.advance(300);
    w.feed(route("10.0.0.2/32", 80)); // at 350: b's quiet period starts again
    await w.clock.advance(999);
    expect(w.files.text("/lb/b.txt")).toBeUndefined();
    expect(w.files.text("/lb/a.txt")).toBe("80: 10.0.0.1/32 10.0.0.2/32\n");
    await w.clock.advance(1);
    expect(w.files.text("/lb/b.txt")).toBe("80: 10.0.0.1/32 10.0.0.2/32\n");
  });

  it("changes that never stop: a waited template still renders every max; the others keep their own pace", async () => {
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ALL });
    await w.d.start();
    const writes = (f: string) => w.files.written.filter((p) => p === f).length;
    const bAt: number[] = [];
    for (let i = 0; i < 60; i++) {
      w.feed(route(`10.0.1.${i}/32`, 80));
      for (let k = 0; k < 200; k += 10) {
        const before = writes("/lb/b.txt");
        await w.clock.advance(10);
        if (writes("/lb/b.txt") > before) bAt.push(w.clock.now());
      }
    }
    // Changes every 200 ms for 12 s: b never sees 1 s of quiet, so it renders 3 s after each first pending change…
    expect(bAt).toEqual([3000, 6000, 9000, 12_000]);
    // …while a, whose debounce is 50 ms, renders after each change.
    expect(writes("/lb/a.txt")).toBe(60);
  });
});

describe("top-level reload", () => {
  const yaml = "debounce: 50ms\nreload: reload-all\ntemplates:\n  - {source: a.ejs, destination: a.txt, backup: true}\n  - {source: b.ejs, destination: b.txt, backup: true}\n";

  it("runs once per cycle however many templates changed, never when none did", async () => {
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ONLY_80 });
    await w.d.start();
    w.feed(route("10.0.0.1/32", 80));
    await w.clock.advance(50);
    expect(w.commands).toEqual([{ cmd: "reload-all", env: { EXACAST_DESTINATIONS: "/lb/a.txt\n/lb/b.txt", EXACAST_TEMPLATES: "a.ejs\nb.ejs" } }]);
    w.feed(route("10.0.0.2/32", 443)); // only a.txt changes
    await w.clock.advance(50);
    expect(w.commands.map((c) => c.env.EXACAST_DESTINATIONS)).toEqual(["/lb/a.txt\n/lb/b.txt", "/lb/a.txt"]);
    w.feed(announce({ prefixes: ["192.0.2.0/24"], communities: [[65000, 1]] })); // not a service route: no file changes
    await w.clock.advance(500);
    expect(w.commands).toHaveLength(2);
  });

  it("a failed reload puts back every file of the cycle and its older .bak; the next change tries again", async () => {
    let fail = false;
    const w = world(yaml, { "/lb/a.ejs": ALL, "/lb/b.ejs": ONLY_80 }, { answer: () => (fail ? FAIL : OK) });
    await w.d.start();
    for (const [i, p] of ["10.0.0.1/32", "10.0.0.2/32"].entries()) {
      w.feed(route(p, 80));
      await w.clock.advance(50 * (i + 1));
    }
    const a = w.files.text("/lb/a.txt");
    const b = w.files.text("/lb/b.txt");
    expect(w.files.text("/lb/a.txt.bak")).toBe("80: 10.0.0.1/32\n");
    fail = true;
    w.feed(route("10.0.0.3/32", 80));
    await w.clock.advance(50);
    expect([w.files.text("/lb/a.txt"), w.files.text("/lb/b.txt")]).toEqual([a, b]);
    expect(w.files.text("/lb/a.txt.bak")).toBe("80: 10.0.0.1/32\n");
    expect(w.files.text("/lb/b.txt.bak")).toBe("80: 10.0.0.1/32\n");
    expect(w.events("reload_failed")).toEqual([
      expect.objectContaining({ scope: "cycle", template: "a.ejs", file: "previous file restored", error: "reload exit 1: bad config" }),
      expect.objectContaining({ scope: "cycle", template: "b.ejs", file: "previous file restored" }),
    ]);
    expect(w.d.status().templates.map((t) => t.last?.result)).toEqual(["reload_failed", "reload_failed"]);
    fail = false;
    w.feed(route("10.0.0.4/32", 443));
    await w.clock.advance(50);
    expect(w.files.text("/lb/b.txt")).toBe("80: 10.0.0.1/32 10.0.0.2/32 10.0.0.3/32\n");
    expect(w.files.text("/lb/b.txt.bak")).toBe(b);
  });
});

describe("a template's own failed reload", () => {
  it("restores the previous file without overwriting the older .bak", async () => {
    const w = world("debounce: 50ms\ntemplates: [{source: a.ejs, destination: a.txt, backup: true, reload: check-and-reload}]\n", { "/lb/a.ejs": ALL }, {
      answer: (_cmd, env) => (env.EXACAST_DESTINATION && /10\.9\.9\.9/.test(filesRef.text(env.EXACAST_DESTINATION) ?? "") ? FAIL : OK),
    });
    const filesRef = w.files;
    await w.d.start();
    for (const p of ["10.0.0.1/32", "10.0.0.2/32"]) {
      w.feed(route(p, 80));
      await w.clock.advance(50);
    }
    const v1 = "80: 10.0.0.1/32\n";
    const v2 = "80: 10.0.0.1/32 10.0.0.2/32\n";
    expect([w.files.text("/lb/a.txt"), w.files.text("/lb/a.txt.bak")]).toEqual([v2, v1]);
    w.feed(route("10.9.9.9/32", 80)); // the service refuses this one
    await w.clock.advance(50);
    expect([w.files.text("/lb/a.txt"), w.files.text("/lb/a.txt.bak")]).toEqual([v2, v1]);
    expect(w.events("reload_failed")).toEqual([expect.objectContaining({ file: "previous file restored" })]);
  });
});
