import { describe, expect, it } from "vitest";
import type { AppState, FsmTimers, Outcome, StateName } from "../src/fsm.js";
import { firstCheckAt, initialState, restartState, step } from "../src/fsm.js";

const T: FsmTimers = { interval: 2000, fastInterval: 500, rise: 3, fall: 2 };
const PASS: Outcome = { pass: true, disabled: false };
const FAIL: Outcome = { pass: false, disabled: false };
const MAINT: Outcome = { pass: false, disabled: true };

/** Feed results one per second from `from`; the states visited, as NAME[count] (+ when serving). */
function run(from: AppState, results: Outcome[], t = T): string[] {
  let s = from;
  let now = s.since;
  return results.map((o) => {
    now += 1000;
    s = step(s, o, t, now).state;
    return `${s.name}${s.count ? `[${s.count}]` : ""}${s.serving ? "+" : ""}`;
  });
}

const at = (name: StateName, count = 0, serving = false): AppState => ({
  name,
  count,
  serving,
  settled: serving ? "UP" : name === "DOWN" || name === "DISABLED" ? name : null,
  since: 0,
});

describe("FSM: every transition", () => {
  it("INIT → RISING on a pass, → FALLING on a fail (nothing announced yet)", () => {
    expect(run(initialState(0), [PASS])).toEqual(["RISING[1]"]);
    expect(run(initialState(0), [FAIL])).toEqual(["FALLING[1]"]);
  });

  it("RISING → UP after `rise` passes in a row; a fail turns it FALLING", () => {
    expect(run(initialState(0), [PASS, PASS, PASS])).toEqual(["RISING[1]", "RISING[2]", "UP+"]);
    expect(run(initialState(0), [PASS, PASS, FAIL])).toEqual(["RISING[1]", "RISING[2]", "FALLING[1]"]);
  });

  it("UP stays UP on passes; a fail makes it FALLING but still serving", () => {
    expect(run(at("UP", 0, true), [PASS, PASS, FAIL])).toEqual(["UP+", "UP+", "FALLING[1]+"]);
  });

  it("FALLING → DOWN after `fall` fails in a row, and only then stops serving", () => {
    expect(run(at("UP", 0, true), [FAIL, FAIL])).toEqual(["FALLING[1]+", "DOWN"]);
  });

  it("FALLING → RISING on a pass, keeping the routes of an app that was UP (ExaBGP's habit)", () => {
    expect(run(at("UP", 0, true), [FAIL, PASS, PASS, PASS])).toEqual(["FALLING[1]+", "RISING[1]+", "RISING[2]+", "UP+"]);
    // …and a flap inside RISING needs `fall` fails again to withdraw.
    expect(run(at("UP", 0, true), [FAIL, PASS, FAIL, FAIL])).toEqual(["FALLING[1]+", "RISING[1]+", "FALLING[1]+", "DOWN"]);
  });

  it("DOWN stays DOWN on fails; a pass starts RISING, not serving until UP", () => {
    expect(run(at("DOWN"), [FAIL, PASS, PASS, PASS])).toEqual(["DOWN", "RISING[1]", "RISING[2]", "UP+"]);
  });

  it("FALLING from INIT never served and goes DOWN", () => {
    expect(run(initialState(0), [FAIL, FAIL, FAIL])).toEqual(["FALLING[1]", "DOWN", "DOWN"]);
  });

  it("maintenance takes any state to DISABLED and stops serving", () => {
    for (const s of [initialState(0), at("RISING", 2), at("UP", 0, true), at("FALLING", 1, true), at("DOWN")]) {
      expect(run(s, [MAINT, MAINT])).toEqual(["DISABLED", "DISABLED"]);
    }
  });

  it("DISABLED ends with the result in hand: a pass starts RISING, a fail FALLING", () => {
    expect(run(at("DISABLED"), [PASS, PASS, PASS])).toEqual(["RISING[1]", "RISING[2]", "UP+"]);
    expect(run(at("DISABLED"), [FAIL, FAIL])).toEqual(["FALLING[1]", "DOWN"]);
  });

  it("rise 1 and fall 1 skip RISING and FALLING", () => {
    const t = { ...T, rise: 1, fall: 1 };
    expect(run(initialState(0), [PASS, FAIL, PASS], t)).toEqual(["UP+", "DOWN", "UP+"]);
    expect(run(initialState(0), [FAIL], t)).toEqual(["DOWN"]);
    expect(run(at("DISABLED"), [PASS], t)).toEqual(["UP+"]);
  });
});

describe("FSM: timing and change flags", () => {
  it("checks at fast_interval while RISING or FALLING, at interval otherwise", () => {
    const now = 10_000;
    expect(step(initialState(0), PASS, T, now).nextCheckAt).toBe(now + 500);
    expect(step(at("UP", 0, true), PASS, T, now).nextCheckAt).toBe(now + 2000);
    expect(step(at("UP", 0, true), FAIL, T, now).nextCheckAt).toBe(now + 500);
    expect(step(at("FALLING", 1, true), FAIL, T, now).nextCheckAt).toBe(now + 2000); // DOWN
    expect(step(at("DOWN"), FAIL, T, now).nextCheckAt).toBe(now + 2000);
    expect(step(at("UP"), MAINT, T, now).nextCheckAt).toBe(now + 2000);
  });

  it("changed is set when the state or serving changes, not when a count grows", () => {
    expect(step(initialState(0), PASS, T, 1).changed).toBe(true);
    expect(step(at("RISING", 1), PASS, T, 1).changed).toBe(false);
    expect(step(at("RISING", 2), PASS, T, 1).changed).toBe(true);
    expect(step(at("UP", 0, true), PASS, T, 1).changed).toBe(false);
    expect(step(at("DISABLED"), MAINT, T, 1).changed).toBe(false);
  });

  it("since is when the state was entered", () => {
    const s1 = step(initialState(0), PASS, T, 100).state;
    expect(s1.since).toBe(100);
    expect(step(s1, PASS, T, 200).state.since).toBe(100);
  });

  it("the first check is splayed over [now, now + splay)", () => {
    expect(firstCheckAt(1000, 0, 0.99)).toBe(1000);
    expect(firstCheckAt(1000, 500, 0)).toBe(1000);
    expect(firstCheckAt(1000, 500, 0.5)).toBe(1250);
    expect(firstCheckAt(1000, 500, 0.999)).toBeLessThan(1500);
  });

  it("settled keeps the last of UP, DOWN, DISABLED through RISING and FALLING (what on_down announces)", () => {
    const walk = (from: AppState, results: Outcome[]) => {
      let s = from;
      return results.map((o, i) => (s = step(s, o, T, i + 1).state).settled);
    };
    expect(walk(initialState(0), [FAIL, FAIL, PASS, PASS, PASS, FAIL])).toEqual([null, "DOWN", "DOWN", "DOWN", "UP", "UP"]);
    expect(walk(at("DOWN"), [MAINT, PASS, FAIL, FAIL])).toEqual(["DISABLED", "DISABLED", "DISABLED", "DOWN"]);
  });

  it("a restart (reload changed the checks) counts from INIT but keeps what is announced until the checks settle", () => {
    const up = restartState(at("UP", 0, true), 5);
    expect(up).toEqual({ name: "INIT", count: 0, serving: true, settled: "UP", since: 5 });
    expect(run(up, [PASS, PASS, PASS])).toEqual(["RISING[1]+", "RISING[2]+", "UP+"]);
    expect(run(up, [FAIL, FAIL])).toEqual(["FALLING[1]+", "DOWN"]);
    expect(restartState(at("DOWN"), 5)).toMatchObject({ name: "INIT", serving: false, settled: "DOWN" });
  });
});
