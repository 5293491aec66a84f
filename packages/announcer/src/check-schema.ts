// The `checks:` entries of an app: an object with exactly one key naming the
// kind, whose value goes through that kind's schema (checks/<kind>.ts).
// Problems keep their path (`apps[0].checks[1].http.status: …`).

import { z } from "zod";
import type { CheckKindName, CheckSpec } from "./checks/index.js";
import { CHECK_KINDS } from "./checks/index.js";

export const CHECK_KIND_NAMES = Object.keys(CHECK_KINDS) as CheckKindName[];

const kindList = CHECK_KIND_NAMES.join(", ");

/** One entry of `checks:` → a CheckSpec (file paths as written); issues get the kind in their path. */
export const checkSchema = z.unknown().transform((v, ctx): CheckSpec => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: "custom", message: `expected a check: an object with one of ${kindList}` });
    return z.NEVER;
  }
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    ctx.addIssue({ code: "custom", message: `expected exactly one check kind (${kindList}), got ${keys.length === 0 ? "none" : keys.map((k) => (/^\w{1,32}$/.test(k) ? k : JSON.stringify(k.slice(0, 32)))).join(", ")}` });
    return z.NEVER;
  }
  const kind = keys[0]!;
  if (!Object.hasOwn(CHECK_KINDS, kind)) {
    ctx.addIssue({ code: "custom", path: [kind], message: `unknown check kind; expected one of ${kindList}` });
    return z.NEVER;
  }
  const schema: z.ZodType<CheckSpec> = CHECK_KINDS[kind as CheckKindName].schema;
  const r = schema.safeParse((v as Record<string, unknown>)[kind]);
  if (!r.success) {
    for (const issue of bestIssues(r.error.issues)) {
      ctx.addIssue({ code: "custom", path: [kind, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], message: issue.message });
    }
    return z.NEVER;
  }
  return r.data;
});

type Issue = z.core.$ZodIssue;

// The short forms (a string) and the long forms (an object) are unions: the
// member that got furthest names the problem best.
function bestIssues(issues: readonly Issue[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const depth = (l: readonly Issue[]) => Math.max(0, ...l.map((i) => i.path.length));
      const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      out.push(...bestIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
    } else out.push(issue);
  }
  return out;
}
