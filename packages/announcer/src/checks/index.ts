// Runs checks: each kind's adapter, and an app's whole list with the
// maintenance checks first (as ExaBGP's healthcheck: a disabled service is
// not checked further).

import type { Outcome } from "../fsm.js";
import { execCheck } from "./exec.js";
import { fileAbsentCheck } from "./file.js";
import { httpCheck } from "./http.js";
import { tcpCheck } from "./tcp.js";
import type { CheckContext, CheckResult, CheckSpec } from "./types.js";
import { oneLine } from "./types.js";
import { udpCheck } from "./udp.js";

export async function runCheck(spec: CheckSpec, ctx: CheckContext): Promise<CheckResult> {
  try {
    switch (spec.kind) {
      case "tcp":
        return await tcpCheck(spec.target, ctx.timeoutMs);
      case "udp":
        return await udpCheck(spec.target, spec.send, spec.expect, ctx.timeoutMs);
      case "http":
        return await httpCheck(spec, ctx.timeoutMs);
      case "exec":
        return await execCheck(spec.command, spec.shell, ctx.timeoutMs, ctx.app);
      case "file_absent":
        return await fileAbsentCheck(spec.path);
      case "consul":
        return consulCheck(spec.service ?? ctx.app, ctx);
    }
  } catch (e) {
    // A check is an adapter around the outside world: whatever it throws is a failed check, not a crash.
    return { kind: spec.kind, ok: false, reason: `check failed: ${oneLine((e as Error).message ?? String(e))}`, latencyMs: 0 };
  }
}

function consulCheck(service: string, ctx: CheckContext): CheckResult {
  const start = performance.now();
  const v = ctx.consul ? ctx.consul(service) : { ok: false, reason: "Consul discovery is not configured (consul: in the config)" };
  return { kind: "consul", ok: v.ok, reason: oneLine(v.reason), latencyMs: performance.now() - start };
}

export interface AppCheckResult extends Outcome {
  /** One per check in the app's order; null for a check not run (maintenance). */
  readonly results: readonly (CheckResult | null)[];
  /** The first failure's description, or "ok". */
  readonly reason: string;
}

/** Every check of an app: maintenance first; when in maintenance the others are not run. */
export async function runAppChecks(
  checks: readonly CheckSpec[],
  ctx: CheckContext,
  run: (spec: CheckSpec, ctx: CheckContext) => Promise<CheckResult> = runCheck,
): Promise<AppCheckResult> {
  // The common case, one check that is not a maintenance check: thousands a second, keep it lean.
  if (checks.length === 1 && checks[0]!.kind !== "file_absent") {
    const r = await run(checks[0]!, ctx);
    return { pass: r.ok, disabled: false, results: [r], reason: r.ok ? "ok" : `${r.kind}: ${r.reason}` };
  }
  const results: (CheckResult | null)[] = checks.map(() => null);
  const maintenance = checks.flatMap((c, i) => (c.kind === "file_absent" ? [i] : []));
  if (maintenance.length > 0) {
    const rs = await Promise.all(maintenance.map((i) => run(checks[i]!, ctx)));
    rs.forEach((r, j) => (results[maintenance[j]!] = r));
    const m = rs.find((r) => r.maintenance);
    if (m) return { pass: false, disabled: true, results, reason: m.reason };
  }
  const rest = checks.flatMap((c, i) => (c.kind === "file_absent" ? [] : [i]));
  if (rest.length === 1) results[rest[0]!] = await run(checks[rest[0]!]!, ctx);
  else if (rest.length > 1) (await Promise.all(rest.map((i) => run(checks[i]!, ctx)))).forEach((r, j) => (results[rest[j]!] = r));
  const failed = checks.map((c, i) => ({ c, r: results[i]! })).find(({ r }) => !r.ok);
  return {
    pass: failed === undefined,
    disabled: false,
    results,
    reason: failed ? `${failed.c.kind}: ${failed.r.reason}` : "ok",
  };
}
