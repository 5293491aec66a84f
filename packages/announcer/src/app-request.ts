// An app sent at run time (the body of PUT /v1/apps/{name}, a GoCast query,
// a Consul service's tags, a line of the state file) → an AppSpec, through
// the same zod schema as the config file's `apps:` entries. Pure: every
// problem comes back as `path: message`, and nothing is changed on failure.

import type { Result } from "@exacast/core";
import { err, nameSchema, ok, validate } from "@exacast/core";
import { appSchema } from "./config-schema.js";
import type { AppSource, AppSpec, Globals, ResolveRules } from "./config.js";
import { resolveApp } from "./config.js";

/** What resolving an app needs besides its input. */
export interface RequestContext {
  readonly globals: Globals;
  /** Relative file paths (file_absent) resolve against this folder: the config file's. */
  readonly baseDir: string;
  readonly rules: ResolveRules;
}

/** An app's input as received, with its name, ready to be stored and validated again later. */
export type AppInputObject = Readonly<Record<string, unknown>>;

export interface ValidApp {
  readonly spec: AppSpec;
  readonly input: AppInputObject;
}

/** A request body → the JSON value it holds. */
export function parseJsonBody(text: string): Result<unknown, string[]> {
  if (text.trim() === "") return err(["(root): expected a JSON object (one app, as in the config's apps:), got an empty body"]);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return err([`(root): invalid JSON: ${(e as Error).message}`]);
  }
}

/** An app name from a URL or a query: the config's rules, so it is safe in logs, labels and URLs. */
export function checkName(name: string): string[] {
  const r = nameSchema.safeParse(name);
  return r.success ? [] : [`name: ${r.error.issues[0]?.message ?? "invalid"}, got ${JSON.stringify(name.slice(0, 80))}`];
}

/**
 * One app named `name` from `raw` (a parsed JSON value). The body may leave
 * `name` out; if it gives one it must be `name`.
 */
export function validateApp(name: string, raw: unknown, source: AppSource, ctx: RequestContext): Result<ValidApp, string[]> {
  const nameProblems = checkName(name);
  if (nameProblems.length > 0) return err(nameProblems);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return err([`(root): expected a JSON object (one app, as in the config's apps:), got ${raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw}`]);
  }
  const body = raw as Record<string, unknown>;
  if (Object.hasOwn(body, "name") && body.name !== name) {
    return err([`name: the body names ${JSON.stringify(typeof body.name === "string" ? body.name.slice(0, 80) : body.name)}, the URL ${JSON.stringify(name)}; leave name out of the body or make them equal`]);
  }
  const input: AppInputObject = { ...body, name };
  // Refused kinds are named even when other problems stop the schema short.
  const refused = refusedChecks(input.checks, ctx.rules);
  const parsed = validate(appSchema, input);
  if (!parsed.ok) return err([...new Set([...parsed.error, ...refused])]);
  const spec = resolveApp(parsed.value, ctx.globals, source, ctx.baseDir, ctx.rules);
  if (!spec.ok) return err([...new Set([...refused, ...spec.error])]);
  if (refused.length > 0) return err(refused);
  return ok({ spec: spec.value, input });
}

/** The checks this source may not ask for, by path (the same words resolveApp uses). */
function refusedChecks(checks: unknown, rules: ResolveRules): string[] {
  if (!Array.isArray(checks)) return [];
  const out: string[] = [];
  checks.forEach((c, i) => {
    if (typeof c !== "object" || c === null) return;
    if (Object.hasOwn(c, "exec") && !rules.exec) out.push(`checks[${i}].exec: ${rules.execRefused ?? "exec checks are not allowed here"}`);
    if (Object.hasOwn(c, "consul") && !rules.consul) out.push(`checks[${i}].consul: a consul check needs Consul discovery: set consul: in the config`);
  });
  return out;
}
