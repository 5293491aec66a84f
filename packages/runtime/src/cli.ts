// Command-line plumbing both programs share: the common flags (--config,
// --log-format, --log-level, --help, --version) parsed and checked one way,
// the version, usage errors (exit 2), and the guard that keeps a program
// alive through a bug: ExaBGP gives up on a process that dies five times in
// a row, and every route it stood for would stay as the last one left it.

import { readFileSync } from "node:fs";
import type { ParseArgsConfig } from "node:util";
import { parseArgs } from "node:util";
import type { Logger, LogFormat, LogLevel, Result } from "@exacast/core";
import { err, EXIT_CONFIG, LOG_FORMATS, LOG_LEVELS, ok } from "@exacast/core";

/** The flags both programs take. */
export const COMMON_OPTIONS = {
  config: { type: "string" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface LogFlags {
  /** undefined: not given (the config file's, or the default). */
  readonly logFormat: LogFormat | undefined;
  readonly logLevel: LogLevel | undefined;
}

const isOneOf = <T extends string>(list: readonly T[], v: string): v is T => (list as readonly string[]).includes(v);
const words = (list: readonly string[]) => `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;

/** The flags' values as parseArgs gives them. */
export type FlagValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export type CommandLine =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "command"; readonly sub: string | undefined; readonly values: FlagValues; readonly log: LogFlags };

/**
 * argv → help, version, or the subcommand (one of `subcommands`, or none)
 * with the flags' values. Problems name the flag; each ends the list with a
 * hint to --help where the command line itself is wrong.
 */
export function parseCommandLine(argv: readonly string[], options: Options, subcommands: readonly string[] = []): Result<CommandLine, string[]> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    return err([(e as Error).message, "try --help"]);
  }
  const v: FlagValues = parsed.values;
  if (v.help) return ok({ kind: "help" });
  if (v.version) return ok({ kind: "version" });
  const [sub, ...extra] = parsed.positionals;
  if (extra.length > 0 || (sub !== undefined && !subcommands.includes(sub))) {
    return err([`unexpected argument ${JSON.stringify(extra[0] ?? sub)}`, "try --help"]);
  }
  const problems: string[] = [];
  const format = v["log-format"] as string | undefined;
  const level = v["log-level"] as string | undefined;
  if (format !== undefined && !isOneOf(LOG_FORMATS, format)) problems.push(`--log-format: expected ${words(LOG_FORMATS)}, got ${JSON.stringify(format)}`);
  if (level !== undefined && !isOneOf(LOG_LEVELS, level)) problems.push(`--log-level: expected ${words(LOG_LEVELS)}, got ${JSON.stringify(level)}`);
  if (problems.length > 0) return err(problems);
  const log: LogFlags = { logFormat: format as LogFormat | undefined, logLevel: level as LogLevel | undefined };
  return ok({ kind: "command", sub, values: v, log });
}

/** A string flag's value (undefined when not given). */
export const flag = (v: FlagValues, name: string): string | undefined => (typeof v[name] === "string" ? (v[name] as string) : undefined);

/** A repeatable string flag's values (undefined when not given). */
export const flags = (v: FlagValues, name: string): string[] | undefined => (Array.isArray(v[name]) ? (v[name] as unknown[]).map(String) : undefined);

export function packageVersion(packageJsonUrl: URL): string {
  try {
    return (JSON.parse(readFileSync(packageJsonUrl, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Print problems on stderr, one per line, then exit 2 (or `code`). */
export function exitWithProblems(program: string, problems: readonly string[], code = EXIT_CONFIG): never {
  for (const p of problems) process.stderr.write(`${program}: ${p}\n`);
  process.exit(code);
}

/** A bug is logged, never fatal: the program keeps running (see the top of this file). */
export function guardProcess(log: Logger): void {
  process.on("uncaughtException", (e) => log.error("unexpected_error", { error: e, kept: "running" }));
  process.on("unhandledRejection", (e) => log.error("unexpected_error", { error: e as Error, kept: "running" }));
  // stderr gone (ExaBGP closed it): nowhere to log; keep going.
  process.stderr.on("error", () => {});
}
