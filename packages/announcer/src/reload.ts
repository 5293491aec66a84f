// SIGHUP: read the config file again and apply it without a flap.
//
// - Apps unchanged keep their state and routes: nothing is written.
// - Apps whose route keys changed (ports, VIPs, communities, MED, on_down…)
//   keep their state; their VIPs are planned again (one announce with the new
//   attributes; a VIP no app names any more is withdrawn).
// - Apps whose checks or timers changed start their checks again from INIT,
//   at once, keeping their routes until the new checks settle (fsm.ts).
// - Apps gone from the file are removed (their VIPs withdrawn); new ones start.
// - community_asn, next_hop, drain_time apply at once (every VIP re-planned).
// - Keys that need sockets, watchers or ExaBGP's side changed (http, consul,
//   ack, exabgp_api, manage_loopback, …) keep their old values, logged: restart for those.
// - A file that does not load is refused with every problem logged; the old
//   config keeps running.
// Apps from HTTP and Consul are not touched.

import type { Logger } from "@exacast/core";
import type { Announcer } from "./announcer.js";
import type { AnnouncerConfig } from "./config.js";
import type { AppSpec } from "./model.js";

/** The keys a reload cannot change, by the config field holding each. */
const RESTART_KEYS: readonly (readonly [keyof AnnouncerConfig, string])[] = [
  ["ack", "ack"],
  ["exabgpApi", "exabgp_api"],
  ["manageLoopback", "manage_loopback"],
  ["loopbackLabel", "loopback_label"],
  ["drainFile", "drain_file"],
  ["stateDir", "state_dir"],
  ["announcedFile", "announced_file"],
  ["natBackend", "nat_backend"],
  ["http", "http"],
  ["consul", "consul"],
  ["logFormat", "log_format"],
  ["logLevel", "log_level"],
];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface ReloadPlan {
  /** Keys that changed but need a restart (their old values stay). */
  readonly restartNeeded: readonly string[];
  /** community_asn, next_hop or drain_time changed. */
  readonly settings: boolean;
  /** Problems that refuse the new file. */
  readonly problems: readonly string[];
}

/** What a reload from `old` to `next` does beyond the apps. Pure. */
export function reloadPlan(old: AnnouncerConfig, next: AnnouncerConfig, otherApps: ReadonlyMap<string, string>): ReloadPlan {
  const problems: string[] = [];
  next.apps.forEach((a, i) => {
    const source = otherApps.get(a.name);
    if (source) problems.push(`apps[${i}].name: ${JSON.stringify(a.name)} is the name of an app registered from ${source}; rename one of them`);
  });
  return {
    restartNeeded: RESTART_KEYS.filter(([field]) => !same(old[field], next[field])).map(([, key]) => key),
    settings: old.communityAsn !== next.communityAsn || !same(old.nextHop, next.nextHop) || old.drainTime !== next.drainTime,
    problems,
  };
}

/** A reloaded app starts its checks again when what decides its state changed. */
export function checksChanged(previous: AppSpec, next: AppSpec): boolean {
  return !same(previous.checks, next.checks) || !same(previous.timers, next.timers);
}

export interface ReloadDeps {
  /** The config file loaded again (with the command line's overrides), or its problems. */
  readonly load: () => { ok: true; value: AnnouncerConfig } | { ok: false; error: string[] };
  readonly announcer: Pick<Announcer, "registry" | "reconfigure" | "snapshot">;
  readonly log: Logger;
}

export class ConfigReloader {
  readonly stats = { reloads: 0, refused: 0 };

  constructor(
    private current: AnnouncerConfig,
    private readonly deps: ReloadDeps,
  ) {}

  get config(): AnnouncerConfig {
    return this.current;
  }

  /** Reload the file; true when it was applied. */
  reload(): boolean {
    const { announcer, log } = this.deps;
    if (announcer.snapshot().stopping) return false;
    const loaded = this.deps.load();
    const others = new Map<string, string>();
    for (const e of announcer.registry.entries()) if (e.spec.source !== "config") others.set(e.spec.name, e.spec.source);
    const plan = loaded.ok ? reloadPlan(this.current, loaded.value, others) : null;
    const problems = loaded.ok ? plan!.problems : loaded.error;
    if (!loaded.ok || problems.length > 0) {
      this.stats.refused++;
      log.error("config_refused", { file: this.current.file, problems: problems.join("; "), kept: "the running config" });
      return false;
    }
    const next = loaded.value;
    if (plan!.restartNeeded.length > 0) {
      log.warn("config_restart_needed", { keys: plan!.restartNeeded.join(","), kept: "their running values until the announcer restarts" });
    }
    if (plan!.settings) announcer.reconfigure(next);
    const r = announcer.registry.sync("config", next.apps, { restart: checksChanged });
    // What a restart would not pick up stays as it runs.
    this.current = { ...next, ...Object.fromEntries(RESTART_KEYS.map(([f]) => [f, this.current[f]])) } as AnnouncerConfig;
    this.stats.reloads++;
    log.info("config_reloaded", { file: next.file, apps: next.apps.length, created: r.created, changed: r.replaced, removed: r.removed });
    return true;
  }
}
