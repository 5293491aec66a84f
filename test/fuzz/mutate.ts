// A mutation corpus from real ExaBGP captures: each mutator damages a line the
// way a broken peer, a truncated pipe or a hostile writer could. Deterministic
// (seeded) so a failing case can be replayed and kept as a test.

import { readdirSync, readFileSync } from "node:fs";
import { repoRoot } from "../harness/paths.js";

export type Random = () => number;

/** mulberry32: small, fast, seedable. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Random, n: number) => Math.floor(r() * n);

/** Every line of every capture in test/fixtures (ExaBGP 4.2, 5.0 and 6, every router). */
export function captureLines(): string[] {
  const files = readdirSync(`${repoRoot}/test/fixtures`).filter((f) => f.endsWith(".ndjson")).sort();
  return files.flatMap((f) => readFileSync(`${repoRoot}/test/fixtures/${f}`, "utf8").split("\n").filter(Boolean));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function get(v: Json, p: Path): Json {
  let cur: Json = v;
  for (const k of p) cur = (cur as Record<string | number, Json>)[k] as Json;
  return cur;
}

function set(v: Json, p: Path, value: Json | undefined): Json {
  if (p.length === 0) return value ?? null;
  const [head, ...rest] = p;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, Json>;
  if (rest.length === 0 && value === undefined) {
    if (Array.isArray(copy)) (copy as unknown as Json[]).splice(head as number, 1);
    else delete copy[head!];
  } else copy[head!] = set(copy[head!] as Json, rest, value);
  return copy as Json;
}

const HOSTILE_VALUES: Json[] = [
  null, true, 0, -1, 1.5, 65535, 65536, 4294967296, 1e308, -0, 9007199254740993,
  "", "x", "1.2.3.4/33", "10.0.0.1/32\nannounce route 6.6.6.6/32 next-hop self", "10.0.0.1/32 next-hop 6.6.6.6",
  "::", "0.0.0.1", "up", "down", "update", "state", "send", "receive", [], {}, [12345], [12345, 443, 1], [[12345, 443]],
  ["12345", "443"], { nlri: "10.0.0.1/32" }, "ipv4 unicast", "ipv6 unicast",
];

/** Structural mutations on the parsed JSON, re-serialised. */
const jsonMutators: ((r: Random, v: Json) => Json)[] = [
  // type change / hostile value at a random place
  (r, v) => set(v, pick(r, paths(v)), pick(r, HOSTILE_VALUES)),
  // delete a field
  (r, v) => {
    const ps = paths(v).filter((p) => p.length > 0);
    return ps.length ? set(v, pick(r, ps), undefined) : v;
  },
  // swap two values
  (r, v) => {
    const ps = paths(v).filter((p) => p.length > 0);
    if (ps.length < 2) return v;
    const a = pick(r, ps);
    const b = pick(r, ps);
    if (a.join("/").startsWith(b.join("/")) || b.join("/").startsWith(a.join("/"))) return v;
    return set(set(v, a, get(v, b)), b, get(v, a));
  },
  // a huge string
  (r, v) => set(v, pick(r, paths(v)), "A".repeat(8_000 + int(r, 32_000))),
  // a huge number as text survives JSON.parse as Infinity or a rounded integer
  (r, v) => set(v, pick(r, paths(v)), pick(r, [1e300, -1e300, 2 ** 53 + 2, 2 ** 64])),
  // deep nesting around a value
  (r, v) => {
    const p = pick(r, paths(v));
    let x = get(v, p);
    for (let i = 0; i < 200 + int(r, 2000); i++) x = [x];
    return set(v, p, x);
  },
];

/** Text-level mutations on the line itself. */
const textMutators: ((r: Random, s: string) => string)[] = [
  // bit flips
  (r, s) => {
    const b = Buffer.from(s, "utf8");
    for (let i = 0, n = 1 + int(r, 4); i < n; i++) b[int(r, b.length)]! ^= 1 << int(r, 8);
    return b.toString("latin1");
  },
  // truncation
  (r, s) => s.slice(0, int(r, s.length)),
  // a duplicated key (JSON.parse keeps the last)
  (r, s) => s.replace(/"nlri": "[^"]*"/, (m) => `${m}, "nlri": "${pick(r, ["1.2.3.4/33", "10.0.0.9/32", "::1/128", ""])}"`),
  // invalid UTF-8 and control bytes inside strings
  (r, s) => {
    const at = s.indexOf('"', int(r, s.length));
    return at < 0 ? s : s.slice(0, at + 1) + pick(r, ["\udc80", "\u0000", "\u001b[2J", "\ufffd\ufffd", "\\u0000"]) + s.slice(at + 1);
  },
  // numbers beyond range written as text
  (r, s) => s.replace(/\b\d+\b/, () => pick(r, ["1e400", "-1e400", "99999999999999999999", "0x10", "01"])),
  // two messages on one line
  (r, s) => s + s,
  // another spelling of an address the parser accepts (bare /32 or /128, upper
  // case, zeros written out): a held prefix named without its canonical text
  (r, s) =>
    pick(r, [
      () => s.replace(/"(\d+\.\d+\.\d+\.\d+)\/32"/, '"$1"'),
      () => s.replace(/"([0-9a-f:]+:[0-9a-f:]*)\/128"/, '"$1"'),
      () => s.replace(/"([0-9a-f:]+:[0-9a-f:]*\/\d+)"/, (_m, p: string) => `"${p.toUpperCase()}"`),
      () =>
        s.replace(/"([0-9a-f:]*?)::([0-9a-f:]*)\/(\d+)"/, (m, a: string, b: string, l: string) => {
          const left = a ? a.split(":") : [];
          const right = b ? b.split(":") : [];
          const zeros = 8 - left.length - right.length;
          return zeros < 1 ? m : `"${[...left, ...Array<string>(zeros).fill("0"), ...right].join(":")}/${l}"`;
        }),
    ])(),
  // a piece of the line spliced into itself: keys and values out of place
  (r, s) => {
    const i = int(r, s.length);
    const j = int(r, s.length);
    return s.slice(0, i) + s.slice(j, j + int(r, 200)) + s.slice(i);
  },
];

/** One mutated line from a seed line. */
export function mutate(r: Random, line: string): string {
  if (r() < 0.5) {
    let v: Json;
    try {
      v = JSON.parse(line) as Json;
    } catch {
      return pick(r, textMutators)(r, line);
    }
    for (let i = 0, n = 1 + int(r, 3); i < n; i++) v = pick(r, jsonMutators)(r, v);
    return JSON.stringify(v) ?? "null";
  }
  return pick(r, textMutators)(r, line);
}

/** `count` mutated lines from `seeds`, reproducible from `seed`. */
export function* mutations(seeds: readonly string[], count: number, seed = 1): Generator<string> {
  const r = seeded(seed);
  for (let i = 0; i < count; i++) yield mutate(r, pick(r, seeds));
}

// Bytes no UTF-8 encoder writes: a stray continuation byte, an overlong "/",
// a UTF-16 surrogate, a code point past U+10FFFF, a sequence cut short, 0xFF.
const INVALID_UTF8: readonly number[][] = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff], [0xc3, 0x28]];

/**
 * One line as raw bytes, damaged below the character level (for a program's
 * stdin): invalid UTF-8, NUL bytes, a CR before the newline. Never a newline:
 * the caller decides where lines end.
 */
export function mutateBytes(r: Random, line: string): Buffer {
  const b = Buffer.from(line, "utf8");
  const at = int(r, b.length + 1);
  const insert = pick(r, [() => Buffer.from(pick(r, INVALID_UTF8)), () => Buffer.alloc(1 + int(r, 3)), () => Buffer.from([0x00, 0xff, 0xfe])])();
  const out = Buffer.concat([b.subarray(0, at), insert, b.subarray(at)]);
  return r() < 0.1 ? Buffer.concat([out, Buffer.from("\r")]) : out;
}
