// --help and the man pages serve as the programs' manual: they name every
// flag each parser accepts (and no flag it refuses), every subcommand, and
// every top-level config key; the pages render without a groff warning, and
// the bins print the usage texts the tests read.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { STATUS_OPTIONS } from "@exacast/core";
import { configSchema } from "../../packages/announcer/src/config-schema.js";
import { OPTIONS as ANNOUNCER_OPTIONS, USAGE as ANNOUNCER_USAGE } from "../../packages/announcer/src/main.js";
import { STATUS_USAGE as ANNOUNCER_STATUS_USAGE } from "../../packages/announcer/src/status-command.js";
import { OPTIONS as LISTENER_OPTIONS } from "../../packages/listener/src/args.js";
import { listenerConfigSchema } from "../../packages/listener/src/config.js";
import { USAGE as LISTENER_USAGE } from "../../packages/listener/src/main.js";
import { STATUS_USAGE as LISTENER_STATUS_USAGE } from "../../packages/listener/src/status-command.js";
import { bin, repoRoot } from "../harness/index.js";

const exec = promisify(execFile);

type Options = Record<string, { type: string; short?: string }>;

const PROGRAMS = [
  {
    name: "exacast-announcer" as const,
    options: ANNOUNCER_OPTIONS as Options,
    usage: ANNOUNCER_USAGE,
    statusUsage: ANNOUNCER_STATUS_USAGE,
    subcommands: ["check", "status"],
    configKeys: Object.keys(configSchema.shape),
    man: `${repoRoot}/packages/announcer/man/exacast-announcer.1`,
  },
  {
    name: "exacast-listener" as const,
    options: LISTENER_OPTIONS as Options,
    usage: LISTENER_USAGE,
    statusUsage: LISTENER_STATUS_USAGE,
    subcommands: ["render", "status"],
    configKeys: Object.keys(listenerConfigSchema.shape),
    man: `${repoRoot}/packages/listener/man/exacast-listener.1`,
  },
];

/** The flags a text names: --long-flag, and -x short ones at a word start. */
function flagsIn(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z-]*[a-z])/g)].map((m) => m[1]!));
}

const flagNames = (o: Options) => Object.keys(o);

describe.each(PROGRAMS)("$name", (p) => {
  const man = readFileSync(p.man, "utf8");
  const manText = man.replaceAll("\\-", "-");

  it("--help names every flag the parser accepts, and only those", () => {
    for (const f of flagNames(p.options)) expect(p.usage, `--${f}`).toMatch(new RegExp(`(?<![\\w-])--${f}(?![\\w-])`));
    for (const o of Object.values(p.options)) if (o.short) expect(p.usage).toMatch(new RegExp(`(?<![\\w-])-${o.short}\\b`));
    const accepted = new Set([...flagNames(p.options), ...flagNames(STATUS_OPTIONS)]);
    expect([...flagsIn(p.usage)].filter((f) => !accepted.has(f))).toEqual([]);
  });

  it("--help names every subcommand", () => {
    for (const s of p.subcommands) expect(p.usage).toMatch(new RegExp(`^\\s+(${p.name} )?${s}\\b`, "m"));
  });

  it("status --help names every flag of status, and only those", () => {
    for (const f of flagNames(STATUS_OPTIONS)) expect(p.statusUsage, `--${f}`).toMatch(new RegExp(`(?<![\\w-])--${f}(?![\\w-])`));
    expect([...flagsIn(p.statusUsage)].filter((f) => !(f in STATUS_OPTIONS))).toEqual([]);
  });

  it("the man page names every flag, subcommand and top-level config key", () => {
    const missing: string[] = [];
    for (const f of [...flagNames(p.options), ...flagNames(STATUS_OPTIONS)]) if (!new RegExp(`(?<![\\w-])--${f}(?![\\w-])`).test(manText)) missing.push(`--${f}`);
    for (const s of p.subcommands) if (!new RegExp(`^\\.B ${s}$`, "m").test(man)) missing.push(`command ${s}`);
    for (const k of p.configKeys) if (!new RegExp(`(?<![\\w])${k}(?![\\w])`).test(manText)) missing.push(`key ${k}`);
    expect(missing).toEqual([]);
    expect([...flagsIn(manText)].filter((f) => !(f in p.options) && !(f in STATUS_OPTIONS))).toEqual([]);
  });

  it("the man page renders without a warning", async () => {
    const r = await exec("groff", ["-man", "-Tutf8", "-ww", "-z", p.man]);
    expect(r.stderr).toBe("");
  });

  it("the bin prints these texts", async () => {
    const [node, script] = bin(p.name);
    expect((await exec(node!, [script!, "--help"])).stdout).toBe(p.usage);
    expect((await exec(node!, [script!, "status", "--help"])).stdout).toBe(p.statusUsage);
  });
});
