// The config file → a resolved AnnouncerConfig: defaults applied, per-app
// overrides merged, relative paths made absolute, and the checks that need
// more than one key (next-hop family, communities vs community_asn, unique
// names) done, each problem with its path.

import { createHash } from "node:crypto";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import type { Community, HostPort, LogFormat, LogLevel, Result } from "@exacast/core";
import { err, formatCommunity, loadConfig, ok, tokenSchema } from "@exacast/core";
import { resolveCheckPaths } from "./checks/index.js";
import type { AppInput, ConfigInput, ConsulAddress } from "./config-schema.js";
import { CONSUL_DEFAULTS, configSchema, consulConfigSchema, parseConsulAddress } from "./config-schema.js";

export { CONSUL_DEFAULTS, HTTP_DEFAULT_LISTEN } from "./config-schema.js";
import type { AppSource, AppSpec, Globals, NextHopConfig, Timers } from "./model.js";
import { DEFAULT_TIMERS } from "./model.js";
import { NO_POLICIES, resolvePolicies } from "./policy.js";

// What a loaded config is made of (consul/ and older callers import them from here).
export type { AppSource, AppSpec, Globals, NextHopConfig, Timers } from "./model.js";

/** `http:` resolved. */
export interface HttpConfig {
  readonly listen: HostPort;
  readonly token: string | null;
  readonly stateFile: string | null;
  /** exec checks (and GoCast exec monitors) may be registered over HTTP. */
  readonly allowExec: boolean;
  /** GoCast's cleanup_timer: an HTTP app withdrawn this long (ms) is dropped; null: never. */
  readonly cleanupAfter: number | null;
}

/** `consul:` resolved. */
export interface ConsulConfig {
  readonly address: ConsulAddress;
  /** null: ask the agent (/v1/agent/self, or what the token may read). */
  readonly node: string | null;
  readonly token: string | null;
  /** Where the token came from, for logs (the token itself is never logged). */
  readonly tokenFrom: "config" | "CONSUL_HTTP_TOKEN" | "CONSUL_TOKEN" | null;
  readonly tag: string;
  /** The retry period while the agent cannot be reached or answers an error. */
  readonly interval: number;
  /** How long a blocking query may hang before Consul answers "no change". */
  readonly wait: number;
  /** How long `consul` checks keep their last result once Consul stops answering. */
  readonly hold: number;
  /** Reads with ?stale: any server answers, a leader election does not stop them. */
  readonly stale: boolean;
  /** Services may ask for exec checks in their tags. */
  readonly allowExec: boolean;
}

/** Where announced_file and http.state_file go unless set (systemd's StateDirectory= sets $STATE_DIRECTORY). */
export const DEFAULT_STATE_DIR = "/var/lib/exacast";

/**
 * A state file's default name: the config's name and a hash of its path, so
 * announcers with different configs never share one (ExaBGP runs the same
 * command line again on a respawn: the name stays).
 */
export function stateFileName(configFile: string, suffix: "announced" | "http-apps"): string {
  const hash = createHash("sha256").update(resolve(configFile)).digest("hex").slice(0, 8);
  return `${basename(configFile, extname(configFile))}-${hash}.${suffix}.json`;
}

const DEFAULT_CONSUL_ADDRESS = parseConsulAddress(CONSUL_DEFAULTS.address) as ConsulAddress;

/** What a source of apps may ask for. */
export interface ResolveRules {
  /** `consul` checks are possible (Consul discovery is configured). */
  readonly consul: boolean;
  /** exec checks are allowed; otherwise `execRefused` says why not. */
  readonly exec: boolean;
  readonly execRefused?: string;
}

const CONFIG_RULES: ResolveRules = { consul: true, exec: true };

export interface AnnouncerConfig extends Globals {
  readonly file: string;
  readonly ack: boolean;
  /** Which ExaBGP API to speak: learnt (auto), or 4 / 6. */
  readonly exabgpApi: "auto" | 4 | 6;
  readonly drainFile: string | null;
  readonly drainTime: number;
  /** Where the state files are by default (absolute). */
  readonly stateDir: string;
  /** What ExaBGP may hold from this announcer, kept for the next process; null: not kept. */
  readonly announcedFile: string | null;
  /** false, or VIPs on `lo` while announced / from start to exit. */
  readonly manageLoopback: false | "announced" | "always";
  /** `ip address … label lo:<label>` (IPv4 addresses). */
  readonly loopbackLabel: string | null;
  readonly natBackend: "auto" | "nftables" | "iptables";
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  readonly http: HttpConfig | null;
  readonly consul: ConsulConfig | null;
  readonly apps: readonly AppSpec[];
}

function communityProblems(list: readonly Community[], asn: number, path: string): string[] {
  return list.flatMap((c, i) =>
    c[0] === asn && c[1] >= 1
      ? [`${path}[${i}]: ${formatCommunity(c)} uses community_asn ${asn}, which names service ports; list the port in ports instead`]
      : [],
  );
}

const absolute = (p: string, baseDir: string) => (isAbsolute(p) ? p : resolve(baseDir, p));

/**
 * A validated app input → an AppSpec, or problems with paths relative to the
 * app. `baseDir` resolves relative file paths (the config file's folder).
 */
export function resolveApp(a: AppInput, g: Globals, source: AppSource, baseDir: string, rules: ResolveRules = CONFIG_RULES): Result<AppSpec, string[]> {
  const problems: string[] = [];
  (a.checks ?? []).forEach((c, i) => {
    if (c.kind === "consul" && !rules.consul) problems.push(`checks[${i}].consul: a consul check needs Consul discovery: set consul: in the config`);
    if (c.kind === "exec" && !rules.exec) problems.push(`checks[${i}].exec: ${rules.execRefused ?? "exec checks are not allowed here"}`);
  });
  const vips = a.vips ?? (a.vip ? [a.vip] : []);
  if (g.nextHop !== "self") {
    const nh = g.nextHop;
    vips.forEach((p, i) => {
      if ((p.family === 4 ? nh.v4 : nh.v6) === null) {
        problems.push(
          `${a.vips ? `vips[${i}]` : "vip"}: ${p.text} is IPv${p.family} but next_hop has no IPv${p.family} address; ` +
            "use next_hop: self or one address per family, e.g. [192.0.2.2, 2001:db8::2]",
        );
      }
    });
  }
  if (a.communities) problems.push(...communityProblems(a.communities, g.communityAsn, "communities"));
  const policies = resolvePolicies(a, g, g.localAs ?? null, problems, rules.exec ? null : (rules.execRefused ?? "hooks are not allowed here"));
  if (problems.length > 0) return err(problems);
  return ok({
    name: a.name,
    source,
    vips,
    ports: [...new Set(a.ports ?? [])].sort((x, y) => x - y),
    checks: (a.checks ?? []).map((c) => resolveCheckPaths(c, baseDir)),
    timers: timersOf(a, g.timers),
    communities: a.communities ?? g.communities,
    med: a.med === undefined ? g.med : a.med,
    localPref: a.local_pref === undefined ? g.localPref : a.local_pref,
    ...((a.nat ?? g.nat)?.length ? { nat: a.nat ?? g.nat } : {}),
    ...policies,
  });
}

/** Timers as set by a config level (the file's globals, an app), over those of the level below. */
function timersOf(o: Partial<Record<"interval" | "fast_interval" | "timeout" | "rise" | "fall" | "splay", number>>, base: Timers): Timers {
  return {
    interval: o.interval ?? base.interval,
    fastInterval: o.fast_interval ?? base.fastInterval,
    timeout: o.timeout ?? base.timeout,
    rise: o.rise ?? base.rise,
    fall: o.fall ?? base.fall,
    splay: o.splay ?? base.splay,
  };
}

function nextHopOf(v: ConfigInput["next_hop"]): NextHopConfig {
  if (v === "self") return "self";
  const list = v;
  return { v4: list.find((a) => a.family === 4) ?? null, v6: list.find((a) => a.family === 6) ?? null };
}

/** Globals of a validated config file; `problems` gets what cannot be resolved. */
export function globalsOf(c: ConfigInput, problems: string[] = []): Globals {
  const localAs = c.local_as;
  return {
    localAs,
    ...resolvePolicies(c, NO_POLICIES, localAs, problems),
    communityAsn: c.community_asn,
    nextHop: nextHopOf(c.next_hop),
    timers: timersOf(c, DEFAULT_TIMERS),
    communities: c.communities ?? [],
    med: c.med ?? null,
    localPref: c.local_pref ?? null,
    ...(c.nat?.length ? { nat: c.nat } : {}),
  };
}

/**
 * Config text → AnnouncerConfig, or every problem as `file: path: message`.
 * `overrides` are command-line flags (they win over file keys).
 */
export function loadAnnouncerConfig(
  text: string,
  file: string,
  overrides: Record<string, unknown> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): Result<AnnouncerConfig, string[]> {
  const parsed = loadConfig(configSchema, text, file, overrides);
  if (!parsed.ok) return parsed;
  const c = parsed.value;
  const baseDir = dirname(resolve(file));
  const problems: string[] = [];
  const g = globalsOf(c, problems);
  problems.push(...communityProblems(g.communities, g.communityAsn, "communities"));
  const apps: AppSpec[] = [];
  const firstIndex = new Map<string, number>();
  c.apps.forEach((a, i) => {
    const prior = firstIndex.get(a.name);
    if (prior !== undefined) problems.push(`apps[${i}].name: duplicate app name ${JSON.stringify(a.name)} (also apps[${prior}])`);
    else firstIndex.set(a.name, i);
    const r = resolveApp(a, g, "config", baseDir, { consul: c.consul != null, exec: true });
    if (r.ok) apps.push(r.value);
    else problems.push(...r.error.map((p) => `apps[${i}].${p}`));
  });
  const consul = c.consul ? consulOf(c.consul, env, problems) : null;
  if (problems.length > 0) return err(problems.map((p) => `${file}: ${p}`));
  const stateDir = absolute(c.state_dir ?? (env.STATE_DIRECTORY?.split(":")[0] || DEFAULT_STATE_DIR), baseDir);
  const inState = (key: string | null | undefined, suffix: "announced" | "http-apps") =>
    key === null ? null : key === undefined ? join(stateDir, stateFileName(file, suffix)) : absolute(key, baseDir);
  return ok({
    ...g,
    file,
    ack: c.ack,
    exabgpApi: c.exabgp_api,
    drainFile: c.drain_file ? absolute(c.drain_file, baseDir) : null,
    drainTime: c.drain_time,
    stateDir,
    announcedFile: inState(c.announced_file, "announced"),
    manageLoopback: c.manage_loopback,
    natBackend: c.nat_backend,
    loopbackLabel: c.loopback_label,
    logFormat: c.log_format,
    logLevel: c.log_level,
    http: c.http
      ? {
          listen: c.http.listen,
          token: c.http.token,
          stateFile: inState(c.http.state_file, "http-apps"),
          allowExec: c.http.allow_exec,
          cleanupAfter: c.http.cleanup_after,
        }
      : null,
    consul,
    apps,
  });
}

// Unset keys fall back to Consul's own environment variables, as its CLI and consul-template do.
function consulOf(c: NonNullable<ConfigInput["consul"]>, env: Readonly<Record<string, string | undefined>>, problems: string[]): ConsulConfig {
  let address = c.address;
  if (!address) {
    const fromEnv = env.CONSUL_HTTP_ADDR?.trim() || CONSUL_DEFAULTS.address;
    const a = parseConsulAddress(fromEnv);
    if (typeof a === "string") problems.push(`consul.address: not set, and CONSUL_HTTP_ADDR: ${a}`);
    else address = a;
  }
  let token = c.token ?? null;
  let tokenFrom: ConsulConfig["tokenFrom"] = token ? "config" : null;
  // Consul's own variable, then GoCast's.
  for (const name of ["CONSUL_HTTP_TOKEN", "CONSUL_TOKEN"] as const) {
    const envToken = env[name]?.trim();
    if (token || !envToken) continue;
    if (tokenSchema.safeParse(envToken).success) {
      token = envToken;
      tokenFrom = name;
    } else problems.push(`consul.token: not set, and ${name} holds characters a token cannot have`);
  }
  // CONSUL_NODE and CONSUL_STALE as GoCast reads them.
  const envNode = env.CONSUL_NODE?.trim();
  const nodeOk = envNode !== undefined && consulConfigSchema.shape.node.safeParse(envNode).success;
  if (!c.node && envNode && !nodeOk) problems.push("consul.node: not set, and CONSUL_NODE is not a Consul node name");
  const envStale = env.CONSUL_STALE?.trim().toLowerCase();
  if (c.stale === undefined && envStale && !["true", "false", "1", "0"].includes(envStale)) problems.push("consul.stale: not set, and CONSUL_STALE is not true or false");
  return {
    address: address ?? DEFAULT_CONSUL_ADDRESS,
    node: c.node ?? (nodeOk ? envNode! : null),
    token,
    tokenFrom,
    tag: c.tag,
    interval: c.interval,
    wait: c.wait,
    hold: c.hold,
    stale: c.stale ?? (envStale === "false" || envStale === "0" ? false : true),
    allowExec: c.allow_exec,
  };
}
