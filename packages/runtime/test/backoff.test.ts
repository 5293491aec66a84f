import { describe, expect, it } from "vitest";
import { Backoff } from "../src/backoff.js";

describe("Backoff", () => {
  it("doubles from the first delay up to the cap, and starts over after a success", () => {
    const b = new Backoff(250, 5000);
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(b.count).toBe(7);
    b.reset();
    expect([b.count, b.next()]).toEqual([0, 250]);
    for (let i = 0; i < 100; i++) b.next();
    expect(b.next()).toBe(5000);
  });
});
