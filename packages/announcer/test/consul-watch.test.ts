// The one blocking-query loop every Consul watch runs (consul/watch.ts), on
// a fake clock: index handling as Consul's docs ask, the spacing of quick
// answers and the back-off of failures as consul-template's view.go does.

import { describe, expect, it } from "vitest";
import { afterAnswer, afterFailure, BlockingWatch, INITIAL, type WatchQuery } from "../src/consul/watch.js";
import { FakeClock, settle } from "@exacast/runtime";

interface Ans {
  index: string | null;
  body: string;
}

/** Consul as the watch sees it: each query waits until the test answers or fails it. */
function fakeConsul() {
  const pending: { q: WatchQuery; at: number; resolve: (a: Ans) => void; reject: (e: unknown) => void }[] = [];
  const queries: { q: WatchQuery; at: number }[] = [];
  const events: string[] = [];
  return {
    queries,
    events,
    pending,
    fetch(clock: FakeClock) {
      return (q: WatchQuery) =>
        new Promise<Ans>((resolve, reject) => {
          queries.push({ q, at: clock.now() });
          pending.push({ q, at: clock.now(), resolve, reject });
        });
    },
    async answer(index: string | null, body = "data") {
      pending.shift()!.resolve({ index, body });
      await settle();
    },
    async fail(message = "connect ECONNREFUSED") {
      pending.shift()!.reject(new Error(message));
      await settle();
    },
  };
}

function setup(random = 0.5, retryMs = 1000, backsOff?: (e: unknown) => boolean) {
  const clock = new FakeClock();
  const consul = fakeConsul();
  const w = new BlockingWatch<Ans>(
    {
      ...(backsOff ? { backsOff } : {}),
      fetch: consul.fetch(clock),
      onAnswer: (a, fresh) => void consul.events.push(`${fresh ? "fresh" : "same"} ${a.index}`),
      onFailure: (e) => void consul.events.push(`failed ${(e as Error).message}`),
      onReset: (from, to) => void consul.events.push(`reset ${from}→${to}`),
    },
    { waitMs: 30_000, retryMs, clock, random: () => random },
  );
  const done = w.run();
  return { clock, consul, w, done };
}

const lastQuery = (c: ReturnType<typeof fakeConsul>) => c.queries[c.queries.length - 1]!;

describe("BlockingWatch", () => {
  it("asks at once first, then blocks on the last index; hands on only answers whose index moved", async () => {
    const { clock, consul, w, done } = setup();
    await settle();
    expect(consul.queries.map((x) => x.q)).toEqual([{ index: null, waitMs: 30_000 }]);
    await consul.answer("10");
    expect(lastQuery(consul).q.index).toBe("10");
    await clock.advance(30_000);
    await consul.answer("10"); // the wait ran out: no change
    await clock.advance(1000);
    await consul.answer("11");
    expect(consul.events).toEqual(["fresh 10", "same 10", "fresh 11"]);
    expect(consul.queries.map((x) => x.q.index)).toEqual([null, "10", "10", "11"]);
    w.stop();
    await done;
  });

  it("an index that goes backwards resets the loop: the next query answers at once and is handed on", async () => {
    const { clock, consul, w, done } = setup();
    await settle();
    await consul.answer("50");
    await clock.advance(5000);
    await consul.answer("7");
    expect(consul.events).toEqual(["fresh 50", "reset 50→7"]);
    expect(lastQuery(consul).q.index).toBeNull();
    await consul.answer("7");
    expect(consul.events).toEqual(["fresh 50", "reset 50→7", "fresh 7"]);
    await clock.advance(120); // a quick answer: the next query is spaced
    expect(lastQuery(consul).q.index).toBe("7");
    w.stop();
    await done;
  });

  it("an index of 0 blocks on 1; an answer without an index is handed on and polled again after `retry`", async () => {
    const { clock, consul, w, done } = setup(0.5, 1000);
    await settle();
    await consul.answer("0");
    expect(lastQuery(consul).q.index).toBe("1");
    await clock.advance(2000);
    await consul.answer(null);
    const asked = consul.queries.length;
    await clock.advance(999);
    expect(consul.queries.length).toBe(asked);
    await clock.advance(1);
    expect(consul.queries.length).toBe(asked + 1);
    expect(lastQuery(consul).q.index).toBeNull();
    expect(consul.events).toEqual(["fresh 0", "fresh null"]);
    w.stop();
    await done;
  });

  it("answers quicker than 100 ms are spaced to 100 ms plus at most 20 ms of dither (the first is not)", async () => {
    const { clock, consul, w, done } = setup(0.5);
    await settle();
    await consul.answer("10"); // first: asked again at once
    expect(consul.queries.length).toBe(2);
    await clock.advance(10);
    await consul.answer("11"); // 10 ms after it was asked: 90 ms more, plus 0.5 × 20 ms
    await clock.advance(99);
    expect(consul.queries.length).toBe(2);
    await clock.advance(1);
    expect(consul.queries.length).toBe(3);
    expect(lastQuery(consul).at).toBe(110);
    w.stop();
    await done;
  });

  it("failures retry after `retry`, doubling up to 8 ×, never blocking; an answer resets the back-off", async () => {
    const { clock, consul, w, done } = setup(1, 1000); // random 1: no jitter taken off
    await settle();
    await consul.answer("10");
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const failedAt = clock.now();
      await consul.fail();
      await clock.advance(20_000);
      gaps.push(lastQuery(consul).at - failedAt);
      expect(lastQuery(consul).q.index).toBeNull();
    }
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    await consul.answer("12");
    await consul.fail();
    const t = clock.now();
    await clock.advance(1000);
    expect(lastQuery(consul).at).toBe(t + 1000);
    w.stop();
    await done;
  });

  it("failures the caller says not to back off from (the local agent not answering) retry every `retry`", async () => {
    const { clock, consul, w, done } = setup(1, 200, (e) => !/ECONNREFUSED/.test((e as Error).message));
    await settle();
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const failedAt = clock.now();
      await consul.fail("connect ECONNREFUSED 127.0.0.1:8500");
      await clock.advance(5000);
      gaps.push(lastQuery(consul).at - failedAt);
    }
    const failedAt = clock.now();
    await consul.fail("HTTP 500: No cluster leader");
    await clock.advance(5000);
    gaps.push(lastQuery(consul).at - failedAt);
    expect(gaps).toEqual([200, 200, 200, 200, 200, 1600]); // the sixth failure in a row, from the servers
    w.stop();
    await done;
  });

  it("stop() ends the loop, in a back-off too", async () => {
    const { consul, w, done } = setup();
    await settle();
    await consul.fail();
    w.stop();
    await done;
    expect(consul.queries.length).toBe(1);
  });
});

describe("the watch's decisions (pure)", () => {
  it("afterAnswer: fresh when the index moves, reset when it goes back, spacing only after the first", () => {
    expect(afterAnswer(INITIAL, "42", 5, 1000, 0)).toEqual({ state: { index: "42", failures: 0, answered: true }, fresh: true, delayMs: 0, reset: false });
    const s = { index: "42", failures: 0, answered: true };
    expect(afterAnswer(s, "42", 30_000, 1000, 0)).toMatchObject({ fresh: false, delayMs: 0 });
    expect(afterAnswer(s, "43", 40, 1000, 1)).toMatchObject({ state: { index: "43" }, fresh: true, delayMs: 80 });
    expect(afterAnswer(s, "7", 200, 1000, 0)).toMatchObject({ state: { index: null }, fresh: false, reset: true });
    expect(afterAnswer(s, "abc", 200, 1000, 0)).toMatchObject({ state: { index: null }, fresh: true, delayMs: 1000 });
    expect(afterAnswer(s, "18446744073709551615", 200, 1000, 0).state.index).toBe("18446744073709551615");
  });

  it("afterFailure: the next query answers at once, after a back-off with up to 25 % jitter taken off; without growth, after `retry`", () => {
    expect(afterFailure({ index: "42", failures: 0, answered: true }, 1000, 0)).toEqual({ state: { index: null, failures: 1, answered: true }, delayMs: 750 });
    expect(afterFailure({ index: null, failures: 40, answered: true }, 1000, 1).delayMs).toBe(8000);
    expect(afterFailure({ index: null, failures: 40, answered: true }, 1000, 1, false).delayMs).toBe(1000);
  });
});
