import { describe, expect, it } from "vitest";
import { Debouncer } from "../src/debounce.js";

/** Drive a debouncer with a fake clock the way the daemon's timer does; count renders. */
function simulate(d: Debouncer, changesAt: number[], until: number, renderMs = 0): number[] {
  const renders: number[] = [];
  let busyUntil: number | undefined;
  const changes = [...changesAt];
  for (let t = 0; t <= until; t++) {
    if (busyUntil !== undefined && t >= busyUntil) {
      d.finish();
      busyUntil = undefined;
    }
    while (changes.length && changes[0]! <= t) {
      d.change(changes.shift()!);
    }
    const dl = d.deadline();
    if (dl !== undefined && t >= dl && d.take(t)) {
      renders.push(t);
      busyUntil = t + renderMs;
      if (renderMs === 0) {
        d.finish();
        busyUntil = undefined;
      }
    }
  }
  return renders;
}

describe("Debouncer", () => {
  it("renders once no change came for `debounce`", () => {
    const d = new Debouncer(200, 2000);
    d.change(0);
    expect(d.deadline()).toBe(200);
    d.change(150);
    expect(d.deadline()).toBe(350);
    expect(d.take(349)).toBe(false);
    expect(d.take(350)).toBe(true);
    expect(d.deadline()).toBeUndefined();
    d.finish();
    expect(d.deadline()).toBeUndefined();
  });

  it("but never later than max_wait after the first pending change", () => {
    const d = new Debouncer(200, 1000);
    for (let t = 0; t < 5000; t += 100) d.change(t); // a change every 100 ms, forever
    expect(d.deadline()).toBe(1000);
    expect(simulate(new Debouncer(200, 1000), Array.from({ length: 50 }, (_, i) => i * 100), 6000)).toEqual([1000, 2100, 3200, 4300, 5100]);
  });

  it("a burst of 100k changes inside one window gives one render", () => {
    const d = new Debouncer(200, 2000);
    let renders = 0;
    for (let i = 0; i < 100_000; i++) {
      d.change(i / 1000); // 100k changes within 100 ms
      if (d.take(i / 1000)) renders++;
    }
    for (let t = 100; t <= 1000; t++) if (d.take(t)) renders++;
    expect(renders).toBe(1);
  });

  it("one render at a time: changes during a render wait for the next", () => {
    const d = new Debouncer(10, 100);
    d.change(0);
    expect(d.take(10)).toBe(true);
    d.change(12);
    expect(d.deadline()).toBeUndefined(); // busy
    expect(d.take(50)).toBe(false);
    d.finish();
    expect(d.deadline()).toBe(22);
    expect(d.take(50)).toBe(true);
    expect(simulate(new Debouncer(10, 100), [0, 15, 16, 17], 200, 30)).toEqual([10, 40]);
  });

  it("force takes what is pending at once (EOF); nothing pending, nothing to take", () => {
    const d = new Debouncer(200, 2000);
    expect(d.take(0, true)).toBe(false);
    d.change(5);
    expect(d.take(6, true)).toBe(true);
  });

  it("new timings apply to what is pending", () => {
    const d = new Debouncer(200, 2000);
    d.change(0);
    d.setTimings(50, 100);
    expect(d.deadline()).toBe(50);
  });

  it("until the first render, a steady flood waits for quiet (or startup_wait), not max_wait", () => {
    // A change every 100 ms for 10 s, as a big table arrives: max_wait 2 s would
    // install a partial file at 2 s, 4 s, …; the first render waits for the end.
    const flood = Array.from({ length: 100 }, (_, i) => i * 100);
    expect(simulate(new Debouncer(200, 2000, 30_000), flood, 12_000)).toEqual([10_100]);
    // Without the startup rule (the old behaviour): partial renders every max_wait.
    expect(simulate(new Debouncer(200, 2000), flood, 12_000).length).toBeGreaterThan(3);
    // A flood longer than startup_wait still renders by then.
    expect(simulate(new Debouncer(200, 2000, 5000), flood, 12_000)[0]).toBe(5000);
  });

  it("after the first render, max_wait applies again", () => {
    const d = new Debouncer(200, 2000, 30_000);
    d.change(0);
    expect(d.take(200)).toBe(true);
    d.finish();
    const later = Array.from({ length: 50 }, (_, i) => 1000 + i * 100);
    let t = 0;
    for (const c of later) d.change(c);
    t = d.deadline()!;
    expect(t).toBe(1000 + 2000);
  });
});
