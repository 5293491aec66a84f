// Command line → what to do. Pure. The log flags are config keys that win
// over the file's.

import type { LogFormat, LogLevel, Result } from "@exacast/core";
import { err, ok } from "@exacast/core";
import { COMMON_OPTIONS, flag, parseCommandLine } from "@exacast/runtime";

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "check" | "run"; config: string; overrides: { log_format: LogFormat | undefined; log_level: LogLevel | undefined } };

/** Every flag (the shared ones: --config, --log-format, --log-level, --help, --version). */
export const OPTIONS = { ...COMMON_OPTIONS } as const;

export function parseCommand(argv: readonly string[]): Result<Command, string[]> {
  const parsed = parseCommandLine(argv, OPTIONS, ["check"]);
  if (!parsed.ok) return parsed;
  const line = parsed.value;
  if (line.kind !== "command") return ok(line);
  const config = flag(line.values, "config");
  if (!config) return err(["--config FILE is required", "try --help"]);
  return ok({ kind: line.sub === "check" ? "check" : "run", config, overrides: { log_format: line.log.logFormat, log_level: line.log.logLevel } });
}
