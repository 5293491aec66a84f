// Small measuring kit shared by the benchmarks: timing rounds, medians,
// and one result line per comparison with the ratio and the target.

import { LineSplitter } from "@exacast/core";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Run `fn` `rounds` times (after one warm-up), return the median milliseconds. */
export function timeMedian(fn, rounds = 5) {
  fn();
  const times = [];
  for (let i = 0; i < rounds; i++) {
    globalThis.gc?.();
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/**
 * Time `a` and `b` in alternating rounds (after a warm-up of each) and return
 * both medians: drift in the machine (JIT, GC, a neighbour's load) then hits
 * both sides alike instead of biasing their ratio.
 */
export function timeMedians(a, b, rounds = 7) {
  a();
  b();
  const ta = [];
  const tb = [];
  for (let i = 0; i < rounds; i++) {
    for (const [fn, out] of i % 2 ? [[b, tb], [a, ta]] : [[a, ta], [b, tb]]) {
      globalThis.gc?.();
      const t = performance.now();
      fn();
      out.push(performance.now() - t);
    }
  }
  return [median(ta), median(tb)];
}

export const fmt = (n) => Math.round(n).toLocaleString("en-US");

/** Print a verdict line; returns whether the target was met. */
export function verdict(name, value, target, { higherIsBetter = true, unit = "" } = {}) {
  const ok = higherIsBetter ? value >= target : value <= target;
  const v = typeof value === "number" && !Number.isInteger(value) ? value.toFixed(2) : value;
  console.log(`${ok ? "PASS" : "MISS"}  ${name}: ${v}${unit} (target ${higherIsBetter ? "≥" : "≤"} ${target}${unit})`);
  return ok;
}

export function chunks(text, size = 65536) {
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The floor every parser is compared with: the same line splitting + JSON.parse only. Returns lines parsed. */
export function splitAndParse(input) {
  let n = 0;
  const s = new LineSplitter({ line: (l) => { if (JSON.parse(l)) n++; } });
  for (const c of input) s.push(c);
  s.end();
  return n;
}
