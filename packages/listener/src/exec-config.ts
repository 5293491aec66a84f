// `exec:`, consul-template's exec mode: one child the listener supervises.
// It starts once every template rendered, gets `reload_signal` after files
// changed (none: it is restarted instead), is restarted with a back-off when
// it dies, and gets `kill_signal` (then SIGKILL after `kill_timeout`) when the
// listener stops.

import { constants } from "node:os";
import { durationSchema } from "@exacast/core";
import { z } from "zod";

export interface ExecSpec {
  /** argv, or a shell line when `shell` (a string in the config). */
  readonly command: string | readonly string[];
  readonly shell: boolean;
  /** undefined: files changed → the child is restarted. */
  readonly reloadSignal: NodeJS.Signals | undefined;
  readonly killSignal: NodeJS.Signals;
  readonly killTimeoutMs: number;
}

const SIGNALS = Object.keys(constants.signals);

const signalSchema = z
  .string()
  .transform((s) => (s.toUpperCase().startsWith("SIG") ? s.toUpperCase() : `SIG${s.toUpperCase()}`))
  .refine((s) => SIGNALS.includes(s) && s !== "SIGKILL" && s !== "SIGSTOP", { error: "expected a signal name like SIGHUP or SIGTERM (not SIGKILL or SIGSTOP)" })
  .transform((s) => s as NodeJS.Signals);

export const execSchema = z
  .strictObject({
    command: z.union([
      z.string().trim().min(1, "expected a shell line or a list of arguments"),
      z.array(z.string().min(1, "expected a non-empty argument")).min(1, "expected the program and its arguments"),
    ]),
    reload_signal: signalSchema.nullable().default("SIGHUP"),
    kill_signal: signalSchema.default("SIGTERM"),
    kill_timeout: durationSchema.default(30_000),
  })
  .transform(
    (e): ExecSpec => ({
      command: e.command,
      shell: typeof e.command === "string",
      reloadSignal: e.reload_signal ?? undefined,
      killSignal: e.kill_signal,
      killTimeoutMs: e.kill_timeout,
    }),
  );

/** Same child? (SIGHUP keeps a child whose exec: did not change.) */
export function sameExec(a: ExecSpec | undefined, b: ExecSpec | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
