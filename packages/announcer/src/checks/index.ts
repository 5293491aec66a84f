// The check kinds, one module each (its schema, runner and description), and
// the runs of an app's whole list: maintenance checks first (as ExaBGP's
// healthcheck: a disabled service is not checked further). A new kind is a
// module and a line in CHECK_KINDS.

import type { Outcome } from "../fsm.js";
import type { ConsulSpec } from "./consul.js";
import { consul } from "./consul.js";
import type { ExecSpec } from "./exec.js";
import { exec } from "./exec.js";
import type { FileAbsentSpec } from "./file-absent.js";
import { fileAbsent } from "./file-absent.js";
import type { HttpSpec } from "./http.js";
import { http } from "./http.js";
import type { ListeningSpec } from "./listening.js";
import { listening } from "./listening.js";
import type { TcpSpec } from "./tcp.js";
import { tcp } from "./tcp.js";
import type { CheckContext, CheckKind, CheckResult } from "./types.js";
import { oneLine } from "./types.js";
import type { UdpSpec } from "./udp.js";
import { udp } from "./udp.js";

export type CheckSpec = TcpSpec | UdpSpec | HttpSpec | ExecSpec | FileAbsentSpec | ConsulSpec | ListeningSpec;
export type { CheckContext, CheckResult } from "./types.js";

/** Every kind, by the key that names it in `checks:`. */
export const CHECK_KINDS = { tcp, udp, http, exec, file_absent: fileAbsent, consul, listening } as const;
export type CheckKindName = keyof typeof CHECK_KINDS;

const kindOf = <S extends CheckSpec>(spec: S) => CHECK_KINDS[spec.kind] as unknown as CheckKind<S>;

export async function runCheck(spec: CheckSpec, ctx: CheckContext): Promise<CheckResult> {
  try {
    return await kindOf(spec).run(spec, ctx);
  } catch (e) {
    // A check is an adapter around the outside world: whatever it throws is a failed check, not a crash.
    return { kind: spec.kind, ok: false, reason: `check failed: ${oneLine((e as Error).message ?? String(e))}`, latencyMs: 0 };
  }
}

/** One line a person reads in `check` output, logs and the API. */
export const describeCheck = (spec: CheckSpec): string => kindOf(spec).describe(spec);

/** Relative file paths made absolute against the config file's folder. */
export const resolveCheckPaths = (spec: CheckSpec, baseDir: string): CheckSpec => kindOf(spec).resolvePaths?.(spec, baseDir) ?? spec;

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
    return { pass: r.ok, disabled: r.maintenance === true, results: [r], reason: r.ok ? "ok" : `${r.kind}: ${r.reason}` };
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
    // Consul maintenance mode (a consul check) disables the app too.
    disabled: results.some((r) => r?.maintenance === true),
    results,
    reason: failed ? `${failed.c.kind}: ${failed.r.reason}` : "ok",
  };
}
