// What GET /v1/apps and GET /status show. Pure: times come in as the
// announcer's clock and go out as ISO strings through `toIso`.

import { formatCommunity } from "@exacast/core";
import type { CheckResult } from "./checks/types.js";
import { describeCheck } from "./checks/types.js";
import type { AppEntry } from "./registry.js";

export type ToIso = (clockMs: number) => string;

/** A clock reading (performance.now()) → wall time, given both clocks now. */
export function isoFrom(clockNow: () => number, wallNow: () => number = Date.now): ToIso {
  return (t) => new Date(wallNow() - (clockNow() - t)).toISOString();
}

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
