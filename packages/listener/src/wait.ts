// A template's own `wait: { min, max }`, consul-template's quiescence timer:
// render once no change came for `min`, but never later than `max` after the
// first pending change. `max` defaults to 4 × `min`, as in consul-template.
// Also read in consul-template's string form, "5s:10s" or "5s". Templates
// without `wait` follow the top-level debounce and max_wait.

import { parseDuration } from "@exacast/core";
import { z } from "zod";

export interface Wait {
  readonly minMs: number;
  readonly maxMs: number;
}

type RawWait = { min: string | number; max?: string | number | undefined };

function fromString(text: string): RawWait | string {
  const parts = text.split(":").map((s) => s.trim());
  if (parts.length > 2 || parts.some((p) => p === "")) return `expected { min, max } or "MIN:MAX" like "5s:10s", got ${JSON.stringify(text)}`;
  return parts.length === 1 ? { min: parts[0]! } : { min: parts[0]!, max: parts[1]! };
}

const durationOrNumber = z.union([z.string(), z.number()]);

export const waitSchema = z
  .union([z.string(), z.strictObject({ min: durationOrNumber, max: durationOrNumber.optional() })])
  .transform((v, ctx): Wait => {
    const raw = typeof v === "string" ? fromString(v) : v;
    if (typeof raw === "string") {
      ctx.addIssue({ code: "custom", message: raw });
      return z.NEVER;
    }
    const min = parseDuration(raw.min);
    const max = raw.max === undefined ? undefined : parseDuration(raw.max);
    for (const [name, r] of [["min", min], ["max", max]] as const) {
      if (r !== undefined && !r.ok) ctx.addIssue({ code: "custom", path: typeof v === "string" ? [] : [name], message: r.error });
    }
    if (!min.ok || (max !== undefined && !max.ok)) return z.NEVER;
    if (min.value <= 0) {
      ctx.addIssue({ code: "custom", path: typeof v === "string" ? [] : ["min"], message: "expected more than 0 (leave wait out to follow debounce)" });
      return z.NEVER;
    }
    const maxMs = max === undefined ? 4 * min.value : max.value;
    if (maxMs < min.value) {
      ctx.addIssue({ code: "custom", path: typeof v === "string" ? [] : ["max"], message: `expected at least min (${raw.min})` });
      return z.NEVER;
    }
    return { minMs: min.value, maxMs };
  });
