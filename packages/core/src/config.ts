// Config files: YAML (JSON is YAML too) → zod → a typed value, or every
// problem listed by its path. The shell reads the file and exits 2 on errors.

import { parseDocument } from "yaml";
import type { z } from "zod";
import type { Result } from "./result.js";
import { err, ok } from "./result.js";
import { formatIssues } from "./zod-issues.js";

/** Parse YAML text; errors name the source and the line. */
export function parseYaml(text: string, source: string): Result<unknown, string[]> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(doc.errors.map((e) => `${source}: ${e.message.split("\n")[0]}`));
  }
  try {
    return ok(doc.toJS({ maxAliasCount: 100 }) ?? {});
  } catch (e) {
    return err([`${source}: ${(e as Error).message}`]);
  }
}

/** Validate a plain value against a schema; errors are `path: message` lines. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source?: string): Result<z.output<S>, string[]> {
  // jitless: zod would compile a parser per object schema (new Function) for a
  // config parsed once; that costs a `check` or a start more than it saves.
  const r = schema.safeParse(value, { jitless: true });
  if (r.success) return ok(r.data);
  const lines = formatIssues(r.error);
  return err(source ? lines.map((l) => `${source}: ${l}`) : lines);
}

/**
 * Load config text: YAML, then `overrides` (command-line flags win over file
 * keys, shallowly), then the schema.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  text: string,
  source: string,
  overrides: Record<string, unknown> = {},
): Result<z.output<S>, string[]> {
  const raw = parseYaml(text, source);
  if (!raw.ok) return raw;
  if (typeof raw.value !== "object" || raw.value === null || Array.isArray(raw.value)) {
    return err([`${source}: expected a mapping of config keys at the top level`]);
  }
  const merged = { ...(raw.value as Record<string, unknown>) };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  return validate(schema, merged, source);
}
