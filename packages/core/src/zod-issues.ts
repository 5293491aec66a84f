// zod issues as the lines a user reads: `apps[2].checks[0].tcp: expected host:port`.

import type { z } from "zod";

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else {
      const k = String(key);
      out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? (out ? `.${k}` : k) : `[${JSON.stringify(k)}]`;
    }
  }
  return out;
}

/** One line per problem, each starting with where it is (or `(root)`). */
export function formatIssues(error: z.ZodError, base: readonly PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    // A union reports one failure per member: the member that got furthest says the most.
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const best = issue.errors.reduce((a, b) => (deepest(b) > deepest(a) ? b : a));
      for (const sub of best) lines.push(line([...base, ...issue.path, ...sub.path], sub.message));
      continue;
    }
    // A record key that failed says only "Invalid key in record": the key's own issue says why.
    if (issue.code === "invalid_key" && issue.issues.length > 0) {
      for (const sub of issue.issues) lines.push(line([...base, ...issue.path], `key ${sub.message}`));
      continue;
    }
    lines.push(line([...base, ...issue.path], issue.message));
  }
  return [...new Set(lines)];
}

function deepest(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

function line(path: readonly PropertyKey[], message: string): string {
  return `${formatPath(path) || "(root)"}: ${message}`;
}
