// Command line → what to do. Pure: paths from flags are made absolute against
// `cwd`, and each flag's problem names the flag.

import { resolve } from "node:path";
import type { LogFormat, LogLevel, Result } from "@exacast/core";
import { err, isCommunityAsn, ok, parseDuration } from "@exacast/core";
import { COMMON_OPTIONS, flag, flags, parseCommandLine } from "@exacast/runtime";
import type { ConfigOverrides } from "./config.js";
import { parseTemplateFlag } from "./template-spec.js";

export interface LogFlags {
  logFormat: LogFormat;
  logLevel: LogLevel;
}

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | ({ kind: "run"; config: string | undefined; overrides: ConfigOverrides; mode: RunMode } & LogFlags)
  | { kind: "render"; input: string; template: string; asn: number | undefined; until: number | undefined; vars: Record<string, string> };

/** consul-template's -once and -dry, carried from the command line down to what renders. */
export interface RunMode {
  /** Render after the first complete table, then exit. */
  readonly once: boolean;
  /** Show what would change; install, chown, mkdir and run nothing. */
  readonly dryRun: boolean;
}

/** Every flag the program accepts (the shared ones too): the --help test holds USAGE and the man page to it. */
export const OPTIONS = {
  ...COMMON_OPTIONS,
  asn: { type: "string" },
  template: { type: "string", multiple: true },
  reload: { type: "string" },
  debounce: { type: "string" },
  "state-file": { type: "string" },
  once: { type: "boolean" },
  dry: { type: "boolean" },
  input: { type: "string" },
  until: { type: "string" },
  var: { type: "string", multiple: true },
} as const;

function asn(v: string | undefined, problems: string[]): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!isCommunityAsn(n)) problems.push(`--asn: expected a community ASN 1..65534, got ${JSON.stringify(v)}`);
  return n;
}

export function parseCommand(argv: readonly string[], cwd: string): Result<Command, string[]> {
  const parsed = parseCommandLine(argv, OPTIONS, ["render"]);
  if (!parsed.ok) return parsed;
  const line = parsed.value;
  if (line.kind !== "command") return ok(line);
  const values = line.values;
  const v = {
    config: flag(values, "config"),
    asn: flag(values, "asn"),
    template: flags(values, "template"),
    reload: flag(values, "reload"),
    debounce: flag(values, "debounce"),
    "state-file": flag(values, "state-file"),
    input: flag(values, "input"),
    until: flag(values, "until"),
    var: flags(values, "var"),
  };
  const problems: string[] = [];
  if (line.sub === "render") {
    const templates = v.template ?? [];
    if (v.input === undefined) problems.push("render: --input CAPTURE.ndjson is required");
    if (templates.length !== 1) problems.push("render: give exactly one --template SRC");
    for (const name of ["once", "dry"] as const) if (values[name] !== undefined) problems.push(`--${name}: render prints its template and installs nothing; --${name} is for the running listener`);
    let until: number | undefined;
    if (v.until !== undefined) {
      until = /^\d{1,9}$/.test(v.until) ? Number(v.until) : NaN;
      if (!(until >= 1)) problems.push(`--until: expected a line number, got ${JSON.stringify(v.until)}`);
    }
    const a = asn(v.asn, problems);
    if (problems.length > 0) return err(problems);
    const vars: Record<string, string> = {};
    for (const kv of v.var ?? []) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(kv);
      if (m) vars[m[1]!] = m[2]!;
      else problems.push(`--var: expected NAME=VALUE, got ${JSON.stringify(kv)}`);
    }
    if (problems.length > 0) return err(problems);
    return ok({ kind: "render", input: resolve(cwd, v.input!), template: resolve(cwd, templates[0]!), asn: a, until, vars });
  }
  for (const name of ["input", "until", "var"] as const) if (v[name] !== undefined) problems.push(`--${name} belongs to the render subcommand`);
  const mode: RunMode = { once: values.once === true, dryRun: values.dry === true };
  const overrides: ConfigOverrides = {};
  const a = asn(v.asn, problems);
  if (a !== undefined) overrides.community_asn = a;
  if (v.debounce !== undefined) {
    const d = parseDuration(v.debounce);
    if (!d.ok) problems.push(`--debounce: ${d.error}`);
    overrides.debounce = v.debounce;
  }
  if (v["state-file"] !== undefined) overrides.state_file = resolve(cwd, v["state-file"]);
  if (v.template !== undefined) {
    overrides.templates = [];
    for (const text of v.template) {
      const t = parseTemplateFlag(text);
      if (!t.ok) problems.push(t.error);
      else overrides.templates.push({ ...t.value, source: resolve(cwd, t.value.source), destination: resolve(cwd, t.value.destination) });
    }
  }
  if (v.reload !== undefined) {
    if (v.reload.trim() === "") problems.push("--reload: expected a shell command");
    overrides.reload = v.reload;
  }
  if (v.config === undefined && v.template === undefined && v["state-file"] === undefined) {
    problems.push("nothing to do: give --config FILE, --template SRC:DEST or --state-file F (try --help)");
  }
  if (problems.length > 0) return err(problems);
  return ok({
    kind: "run",
    config: v.config === undefined ? undefined : resolve(cwd, v.config),
    overrides,
    mode,
    logFormat: line.log.logFormat ?? "text",
    logLevel: line.log.logLevel ?? "info",
  });
}
