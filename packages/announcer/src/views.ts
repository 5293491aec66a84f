// What GET /v1/apps and GET /status show. Pure: times come in as the
// announcer's clock and go out as ISO strings through `toIso`.

import type { Prefix } from "@exacast/core";
import { comparePrefixes, formatCommunity, isGracefulShutdown } from "@exacast/core";
import { describeCheck } from "./checks/index.js";
import type { CheckResult } from "./checks/types.js";
import type { SentRoute } from "./planner.js";
import { natText } from "./nat-rules.js";
import type { AppEntry } from "./registry.js";

/** A clock reading → wall time as ISO text (the runtime's isoFrom). */
export type ToIso = (clockMs: number) => string;

const round = (ms: number) => Math.round(ms * 1000) / 1000;

function resultJson(r: CheckResult | null) {
  return r === null ? null : { ok: r.ok, reason: r.reason, latency_ms: round(r.latencyMs), ...(r.maintenance ? { maintenance: true } : {}) };
}

export function appJson(e: AppEntry, toIso: ToIso) {
  const s = e.spec;
  return {
    name: s.name,
    source: s.source,
    state: e.state.name,
    serving: e.state.serving,
    since: toIso(e.state.since),
    reason: e.reason,
    vips: s.vips.map((p) => p.text),
    ports: s.ports,
    communities: s.communities.map(formatCommunity),
    med: s.med,
    local_pref: s.localPref,
    nat: (s.nat ?? []).map(natText),
    checks: s.checks.map((c, i) => ({ kind: c.kind, check: describeCheck(c), last: resultJson(e.results[i] ?? null) })),
    last_check: e.lastCheckAt === null ? null : toIso(e.lastCheckAt),
    timers: {
      interval_ms: s.timers.interval,
      fast_interval_ms: s.timers.fastInterval,
      timeout_ms: s.timers.timeout,
      rise: s.timers.rise,
      fall: s.timers.fall,
    },
  };
}

export function appsJson(entries: Iterable<AppEntry>, toIso: ToIso) {
  return [...entries].sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0)).map((e) => appJson(e, toIso));
}

/**
 * Every VIP an app names: what ExaBGP was told for it (communities, MED,
 * LOCAL_PREF; draining when it carries 65535:0), the apps holding it up and
 * those naming it that are not serving.
 */
export function vipsJson(entries: Iterable<AppEntry>, announced: ReadonlyMap<string, SentRoute>) {
  const vips = new Map<string, { prefix: Prefix; holding: string[]; down: string[] }>();
  for (const e of entries) {
    for (const p of e.spec.vips) {
      let v = vips.get(p.text);
      if (v === undefined) vips.set(p.text, (v = { prefix: p, holding: [], down: [] }));
      (e.state.serving ? v.holding : v.down).push(e.spec.name);
    }
  }
  // Still announced though no app names it any more (its withdraw not written yet): shown too.
  for (const r of announced.values()) if (!vips.has(r.prefix.text)) vips.set(r.prefix.text, { prefix: r.prefix, holding: [], down: [] });
  return [...vips.values()]
    .sort((a, b) => comparePrefixes(a.prefix, b.prefix))
    .map((v) => {
      const sent = announced.get(v.prefix.text)?.route;
      return {
        vip: v.prefix.text,
        announced: sent !== undefined,
        communities: sent ? sent.communities.map(formatCommunity) : [],
        med: sent?.med ?? null,
        local_pref: sent?.localPref ?? null,
        draining: sent ? sent.communities.some(isGracefulShutdown) : false,
        apps: v.holding.sort(),
        apps_not_serving: v.down.sort(),
      };
    });
}

/** GET /status. */
export interface AnnouncerStatus {
  readonly program: "exacast-announcer";
  readonly host: string;
  readonly version: string;
  readonly pid: number;
  readonly started: string;
  readonly draining: boolean;
  readonly stopping: boolean;
  readonly announced: readonly { readonly vip: string; readonly command: string }[];
  readonly vips: ReturnType<typeof vipsJson>;
  readonly exabgp: { readonly ack: boolean; readonly commands: number; readonly acks: number; readonly ack_errors: number; readonly ack_timeouts: number; readonly resends: number };
  readonly http: { readonly apps: number; readonly state_file: string | null } | null;
  readonly consul: {
    readonly node: string | null;
    readonly reachable: boolean | null;
    readonly last_error: string | null;
    readonly outage_since: string | null;
    readonly updates: number;
    readonly errors: number;
    readonly services: number;
    readonly skipped: number;
  } | null;
  readonly apps: readonly ReturnType<typeof appJson>[];
}
