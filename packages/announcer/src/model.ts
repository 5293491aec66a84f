// The announcer's domain: an app as it runs (every value validated and
// resolved), its timers, where it came from, and the next hop its VIPs are
// announced with. Types only, plus the default timers: the planner, the
// registry and the FSM stand on this, not on config loading.

import type { Community, IpAddress, Prefix } from "@exacast/core";
import type { CheckSpec } from "./checks/index.js";
import type { NatEntry } from "./nat-rules.js";
import type { Degrade } from "./degraded.js";
import type { HookSpec } from "./hooks.js";
import type { RouteAttributes } from "./route-attributes.js";

export interface Timers {
  readonly interval: number;
  readonly fastInterval: number;
  readonly timeout: number;
  readonly rise: number;
  readonly fall: number;
  readonly splay: number;
}

export const DEFAULT_TIMERS: Timers = { interval: 2000, fastInterval: 500, timeout: 1000, rise: 2, fall: 2, splay: 0 };

/** `self`, or the next-hop for each family (null: that family cannot be announced). */
export type NextHopConfig = "self" | { readonly v4: IpAddress | null; readonly v6: IpAddress | null };

export type AppSource = "config" | "http" | "consul";
export const APP_SOURCES: readonly AppSource[] = ["config", "http", "consul"];

/** An app ready to run: every value validated and resolved. */
export interface AppSpec {
  readonly name: string;
  readonly source: AppSource;
  readonly vips: readonly Prefix[];
  /** Ascending, no duplicates. */
  readonly ports: readonly number[];
  readonly checks: readonly CheckSpec[];
  readonly timers: Timers;
  readonly communities: readonly Community[];
  readonly med: number | null;
  readonly localPref: number | null;
  /** GoCast's NAT: redirects while the app's VIPs are announced (none when absent). */
  readonly nat?: readonly NatEntry[];
  // Set by resolveApp; absent (specs built by hand) means null.
  /** While DOWN / DISABLED: keep announcing de-preferred (null: withdraw). */
  readonly onDown?: Degrade | null;
  readonly onDisabled?: Degrade | null;
  /** Run on every state change (null: none). */
  readonly execute?: HookSpec | null;
  /** Large/extended communities, origin, AS path, path id, neighbors (absent: none). */
  readonly attributes?: RouteAttributes;
}

/** What apps inherit and what every announcement needs. */
export interface Globals {
  readonly communityAsn: number;
  readonly nextHop: NextHopConfig;
  readonly timers: Timers;
  readonly communities: readonly Community[];
  readonly med: number | null;
  readonly localPref: number | null;
  readonly nat?: readonly NatEntry[];
  /** The AS ExaBGP speaks as (as_path_prepend given as a count needs it). Absent: null, as below. */
  readonly localAs?: number | null;
  readonly onDown?: Degrade | null;
  readonly onDisabled?: Degrade | null;
  readonly execute?: HookSpec | null;
  readonly attributes?: RouteAttributes;
}
