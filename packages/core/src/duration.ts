// Durations in config: a string with a unit (`250ms`, `2s`, `5m`, `1h`) or a
// number of seconds, as the contract fixes. Everything inside is milliseconds.

import type { Result } from "./result.js";
import { err, ok } from "./result.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
/** A day: nothing in exacast waits longer, and it keeps timers inside setTimeout's range. */
export const MAX_DURATION_MS = 86_400_000;

export function parseDuration(input: unknown): Result<number> {
  let ms: number;
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) return err(`invalid duration ${input}: expected seconds >= 0`);
    ms = input * 1000;
  } else if (typeof input === "string") {
    const m = PATTERN.exec(input.trim());
    if (!m) return err(`invalid duration ${JSON.stringify(input)}: expected a number and a unit (250ms, 2s, 5m, 1h)`);
    ms = Number(m[1]) * UNITS[m[2]!]!;
  } else {
    return err("invalid duration: expected a string like 2s or a number of seconds");
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_MS) return err(`invalid duration ${JSON.stringify(input)}: at most 24h`);
  return ok(ms);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
