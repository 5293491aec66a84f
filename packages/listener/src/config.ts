// The listener's config: YAML keys as the contract fixes them, validated by zod
// into plain values (milliseconds, absolute paths). Pure: the caller reads the
// file. Relative paths in a file are relative to that file's folder (ExaBGP
// starts processes in its own working directory); the caller makes paths from
// flags absolute against the shell's working directory.

import { basename, dirname, resolve } from "node:path";
import type { Result } from "@exacast/core";
import { communityAsnSchema, DEFAULT_COMMUNITY_ASN, durationSchema, err, hostPortSchema, loadConfig, nameSchema, ok, tokenSchema } from "@exacast/core";
import { z } from "zod";
import type { HttpConfig } from "./endpoint.js";
import type { ExecSpec } from "./exec-config.js";
import { execSchema } from "./exec-config.js";
import type { FileOwner } from "./owner.js";
import { OWNER_NAME } from "./owner.js";
import type { Wait } from "./wait.js";
import { waitSchema } from "./wait.js";

export interface TemplateSpec {
  /** For logs and metrics labels: `name`, else the source's file name. */
  readonly name: string;
  readonly source: string;
  readonly destination: string;
  /** File mode; undefined keeps the mode of the file being replaced (0644 for a new one). */
  readonly mode: number | undefined;
  readonly check: string | undefined;
  readonly reload: string | undefined;
  readonly timeoutMs: number;
  readonly backup: boolean;
  /** Values the template sees as `vars` (bind addresses, names…): site settings, not routes. */
  readonly vars: TemplateVars;
  /** Its own debounce; undefined: the top-level debounce and max_wait. */
  readonly wait?: Wait | undefined;
  /** Owner of the installed file, as written (names are looked up by setup.ts). */
  readonly user?: string | undefined;
  readonly group?: string | undefined;
  /** user and group as ids, filled in by setup.ts (undefined: the replaced file's owner is kept). */
  readonly owner?: FileOwner | undefined;
}

export type TemplateVars = Readonly<Record<string, string | number | boolean>>;

export interface ListenerConfig {
  readonly communityAsn: number;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  /** Stands in for maxWait until the first render (see debounce.ts). */
  readonly startupWaitMs: number;
  readonly staleGraceMs: number;
  readonly maxRoutes: number;
  readonly stateFile: string | undefined;
  /** The RIB kept on disk for a restarted listener to start warm (see snapshot.ts); undefined: none. */
  readonly snapshotFile: string | undefined;
  readonly renderTimeoutMs: number;
  readonly renderHeapMb: number;
  readonly http: HttpConfig | undefined;
  readonly templates: readonly TemplateSpec[];
  /** Run once after a render cycle in which one or more templates changed. */
  readonly reload: string | undefined;
  readonly exec: ExecSpec | undefined;
  /** Template sources changed on disk: fs.watch (falling back to polling), polling, or not at all. */
  readonly templateWatch: TemplateWatchMode;
}

export const TEMPLATE_WATCH_MODES = ["auto", "poll", "off"] as const;
export type TemplateWatchMode = (typeof TEMPLATE_WATCH_MODES)[number];

// YAML 1.2 reads `mode: 0644` as the number 644: its digits are meant as octal.
const modeSchema = z.union([z.string(), z.number()]).transform((v, ctx): number => {
  const text = String(v);
  if (!/^0?[0-7]{3,4}$/.test(text) || parseInt(text, 8) > 0o7777) {
    ctx.addIssue({ code: "custom", message: `expected an octal file mode like "0644", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return parseInt(text, 8);
});

const commandSchema = z.string().trim().min(1, "expected a shell command").nullable().optional();
const ownerSchema = z.union([z.string(), z.number().int().min(0)]).transform(String).pipe(z.string().regex(OWNER_NAME, "expected a user or group name, or a number"));

const templateSchema = z.strictObject({
  name: nameSchema.optional(),
  source: z.string().min(1, "expected the path of an EJS template"),
  destination: z.string().min(1, "expected the path of the file to write"),
  mode: modeSchema.optional(),
  check: commandSchema,
  reload: commandSchema,
  timeout: durationSchema.default(30_000),
  backup: z.boolean().default(false),
  vars: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a name of letters, digits and _"), z.union([z.string(), z.number(), z.boolean()]))
    .default({}),
  wait: waitSchema.optional(),
  user: ownerSchema.optional(),
  group: ownerSchema.optional(),
});

export const listenerConfigSchema = z.strictObject({
  community_asn: communityAsnSchema.default(DEFAULT_COMMUNITY_ASN),
  debounce: durationSchema.default(200),
  max_wait: durationSchema.default(2000),
  startup_wait: durationSchema.default(30_000),
  // As BGP graceful restart's usual stale time: a route server restarting (or
  // a session reset) does not empty the files.
  stale_grace: durationSchema.default(120_000),
  max_routes: z.number().int("expected a whole number").min(1, "expected at least 1").default(1_000_000),
  state_file: z.string().min(1).nullable().default(null),
  // null: beside state_file (services.json → services.rib.json) when there is one; false: none.
  snapshot_file: z.union([z.string().min(1), z.literal(false)]).nullable().default(null),
  render_timeout: durationSchema.default(10_000),
  render_heap_mb: z.number().int("expected a whole number of MB").min(16, "expected at least 16 (MB)").default(1024),
  http: z.strictObject({ listen: hostPortSchema, token: tokenSchema.nullable().default(null) }).nullable().default(null),
  templates: z.array(templateSchema).default([]),
  reload: commandSchema,
  exec: execSchema.nullable().default(null),
  template_watch: z.enum(TEMPLATE_WATCH_MODES).default("auto"),
});

export type RawListenerConfig = z.output<typeof listenerConfigSchema>;

/** Flags as config keys (already validated and made absolute by the caller). */
export interface ConfigOverrides {
  community_asn?: number;
  debounce?: string;
  state_file?: string;
  /** --template SRC:DEST[:CMD]; CMD is that template's reload (it wins over --reload). */
  templates?: { source: string; destination: string; reload?: string }[];
  /** --reload: the reload command of every template. */
  reload?: string;
}

export function parseListenerConfig(text: string, source: string, baseDir: string, flags: ConfigOverrides = {}): Result<ListenerConfig, string[]> {
  const { reload, ...overrides } = flags;
  const raw = loadConfig(listenerConfigSchema, text, source, overrides as Record<string, unknown>);
  if (!raw.ok) return raw;
  const c = raw.value;
  const problems: string[] = [];
  const names = new Set<string>();
  const destinations = new Set<string>();
  const templates = c.templates.map((t, i): TemplateSpec => {
    const spec: TemplateSpec = {
      name: t.name ?? basename(t.source),
      source: resolve(baseDir, t.source),
      destination: resolve(baseDir, t.destination),
      mode: t.mode,
      check: t.check ?? undefined,
      reload: (overrides.templates ? overrides.templates[i]?.reload : undefined) ?? reload ?? t.reload ?? undefined,
      timeoutMs: t.timeout,
      backup: t.backup,
      vars: t.vars,
      wait: t.wait,
      user: t.user,
      group: t.group,
    };
    if (names.has(spec.name)) problems.push(`${source}: templates[${i}].name: ${JSON.stringify(spec.name)} is used twice; give each template its own name`);
    if (destinations.has(spec.destination)) problems.push(`${source}: templates[${i}].destination: ${spec.destination} is written by another template`);
    names.add(spec.name);
    destinations.add(spec.destination);
    return spec;
  });
  if (problems.length > 0) return err(problems);
  return ok({
    communityAsn: c.community_asn,
    debounceMs: c.debounce,
    // A debounce longer than max_wait (e.g. --debounce 5s with the 2s default) is what was meant.
    maxWaitMs: Math.max(c.max_wait, c.debounce),
    startupWaitMs: Math.max(c.startup_wait, c.max_wait, c.debounce),
    staleGraceMs: c.stale_grace,
    maxRoutes: c.max_routes,
    stateFile: c.state_file === null ? undefined : resolve(baseDir, c.state_file),
    snapshotFile: snapshotPath(c.snapshot_file, c.state_file, baseDir),
    renderTimeoutMs: c.render_timeout,
    renderHeapMb: c.render_heap_mb,
    http: c.http ?? undefined,
    templates,
    reload: c.reload ?? undefined,
    exec: c.exec ?? undefined,
    templateWatch: c.template_watch,
  });
}

function snapshotPath(key: string | false | null, stateFile: string | null, baseDir: string): string | undefined {
  if (key === false) return undefined;
  if (key !== null) return resolve(baseDir, key);
  if (stateFile === null) return undefined;
  const f = resolve(baseDir, stateFile);
  return f.endsWith(".json") ? `${f.slice(0, -5)}.rib.json` : `${f}.rib.json`;
}

/** The folder relative paths of a config file are resolved against. */
export const configBaseDir = (configPath: string | undefined, cwd: string): string =>
  configPath === undefined ? cwd : dirname(resolve(cwd, configPath));
