// exec check: exit 0 passes. An argument vector runs without a shell; a
// string runs through /bin/sh only when the config says shell: true. Run by
// the runtime's process runner: its own process group, killed whole at the
// timeout (and at the announcer's exit); decided when the process exits,
// whatever a background grandchild does with the pipes.

import { runProcess } from "@exacast/runtime";
import { z } from "zod";
import type { CheckKind, CheckResult } from "./types.js";
import { oneLine } from "./types.js";

export interface ExecSpec {
  readonly kind: "exec";
  /** An argument vector, or one string for the shell (shell: true). */
  readonly command: readonly string[] | string;
  readonly shell: boolean;
}

const argvSchema = z
  .array(z.string().min(1, "expected a non-empty argument").max(4096).refine((s) => !s.includes("\0"), "NUL byte in argument"))
  .min(1, "expected the program and its arguments, e.g. [/usr/local/bin/check-web, --fast]")
  .max(256);

const execObject = z
  .strictObject({
    command: z.union([z.string().min(1).max(4096), argvSchema]),
    shell: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (typeof v.command === "string" && v.shell !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["command"],
        message: "a command string runs through /bin/sh only with shell: true; otherwise give an argument array",
      });
    }
  });

export async function execCheck(spec: ExecSpec, timeoutMs: number, app: string): Promise<CheckResult> {
  const r = await runProcess(spec.command, { timeoutMs, shell: spec.shell, env: { EXACAST_APP: app } });
  const result = (ok: boolean, reason: string): CheckResult => ({ kind: "exec", ok, reason, latencyMs: r.durationMs });
  if (r.timedOut) return result(false, `timed out after ${timeoutMs}ms; process group killed`);
  if (r.exitCode === null && !r.status.startsWith("killed")) return result(false, `cannot run: ${r.status.replace(/^could not run: /, "")}`);
  if (r.ok) return result(true, "exit 0");
  const said = oneLine(r.output.split("\n").find((l) => l.trim() !== "") ?? "");
  return result(false, `${r.status}${said ? `: ${said}` : ""}`);
}

export const exec: CheckKind<ExecSpec> = {
  kind: "exec",
  schema: z
    .union([argvSchema.transform((command) => ({ command, shell: false })), execObject])
    .transform((e): ExecSpec => ({ kind: "exec", command: e.command, shell: e.shell ?? false })),
  run: (spec, ctx) => execCheck(spec, ctx.timeoutMs, ctx.app),
  describe: (spec) => (typeof spec.command === "string" ? `exec (shell) ${JSON.stringify(spec.command)}` : `exec ${JSON.stringify(spec.command)}`),
};
