// From the apps' states to what ExaBGP should announce, and from what was
// sent to the commands that make it so. Pure.
//
// A VIP is announced while at least one app naming it is serving; its
// communities are <asn>:<port> for the union of those apps' ports (ascending),
// then the apps' extra communities (ascending, deduplicated), then 65535:0
// while draining. MED and LOCAL_PREF: where the serving apps of one VIP
// disagree, the most preferred value any of them asks for (lowest MED,
// highest LOCAL_PREF) wins, so the result does not depend on app order.
// With no app serving, apps whose DOWN or DISABLED keeps announcing
// (degraded.ts) hold the VIP de-preferred, without service communities.
// The other attributes (route-attributes.ts) merge the same way; a route
// that moves to other neighbors or another path id takes back the old one.

import type { Community, IpAddress, NextHop, Prefix } from "@exacast/core";
import { GRACEFUL_SHUTDOWN, buildAnnounce, buildWithdraw, compareCommunities, comparePrefixes } from "@exacast/core";
import type { Degrade } from "./degraded.js";
import { degradedPath, mergeDegrades } from "./degraded.js";
import type { NextHopConfig } from "./model.js";
import type { RouteAttributes } from "./route-attributes.js";
import { NO_ATTRIBUTES, mergeAttributes } from "./route-attributes.js";

/** What the planner needs of an app. */
export interface AppView {
  readonly name: string;
  readonly vips: readonly Prefix[];
  readonly ports: readonly number[];
  readonly communities: readonly Community[];
  readonly med: number | null;
  readonly localPref: number | null;
  readonly serving: boolean;
  /** Not serving, and its settled state (DOWN, DISABLED) keeps announcing de-preferred. */
  readonly degraded?: Degrade | null;
  readonly attributes?: RouteAttributes;
}

export interface PlanOptions {
  readonly communityAsn: number;
  readonly nextHop: NextHopConfig;
  readonly draining: boolean;
}

export interface Route {
  readonly prefix: Prefix;
  readonly nextHop: NextHop;
  readonly communities: readonly Community[];
  readonly med: number | null;
  readonly localPref: number | null;
  /** Announced de-preferred (no app on it serving): on_down / on_disabled. */
  readonly degraded?: boolean;
  /** The rest (a degraded route's AS path starts with its prepend); absent: none. */
  readonly attributes?: RouteAttributes;
  /** attributes' path id and neighbors again: the route's identity, as a RouteSpec has it (what the ledger keeps). */
  readonly pathId?: number | null;
  readonly neighbors?: readonly IpAddress[];
}

/** A route as sent: the command that announced it and how to take it back. */
export interface SentRoute {
  readonly prefix: Prefix;
  readonly announce: string;
  readonly withdraw: string;
  /** What the command carries (for /status and the status page). */
  readonly route: Route;
}

export type Change =
  | {
      readonly kind: "announce";
      readonly prefix: Prefix;
      readonly line: string;
      readonly route: SentRoute;
      /** Sent first: takes the route back from neighbors or a path id it leaves. */
      readonly retract?: string;
    }
  | { readonly kind: "withdraw"; readonly prefix: Prefix; readonly line: string };

export function nextHopFor(cfg: NextHopConfig, family: 4 | 6): NextHop | null {
  if (cfg === "self") return "self";
  return (family === 4 ? cfg.v4 : cfg.v6) ?? null;
}

/** The route `prefix` should carry given the apps that name it, or null (withdrawn). */
export function planVip(prefix: Prefix, apps: Iterable<AppView>, opts: PlanOptions): Route | null {
  const on: AppView[] = [];
  for (const a of apps) if (a.vips.some((v) => v.text === prefix.text)) on.push(a);
  const nextHop = nextHopFor(opts.nextHop, prefix.family);
  if (nextHop === null) return null;
  const serving = on.filter((a) => a.serving);
  const attributes = (apps: readonly AppView[]) => mergeAttributes(apps.map((a) => a.attributes ?? NO_ATTRIBUTES));
  if (serving.length > 0) {
    return withDrain({ prefix, nextHop, ...merged(serving), communities: serviceCommunities(serving, opts.communityAsn), attributes: attributes(serving) }, opts);
  }
  const degraded = on.filter((a) => a.degraded);
  if (degraded.length === 0) return null;
  const d = mergeDegrades(degraded.map((a) => a.degraded!));
  const base = merged(degraded);
  const extra = uniqueSorted([...degraded.flatMap((a) => a.communities), ...d.communities]);
  const attrs = attributes(degraded);
  return withDrain({ prefix, nextHop, ...base, med: d.med ?? base.med, communities: extra, degraded: true, attributes: { ...attrs, asPath: degradedPath(d, attrs.asPath) } }, opts);
}

/** MED and LOCAL_PREF of the apps holding a VIP: the most preferred any of them asks for. */
function merged(apps: readonly AppView[]): Pick<Route, "med" | "localPref"> {
  let med: number | null = null;
  let localPref: number | null = null;
  for (const a of apps) {
    if (a.med !== null) med = med === null ? a.med : Math.min(med, a.med);
    if (a.localPref !== null) localPref = localPref === null ? a.localPref : Math.max(localPref, a.localPref);
  }
  return { med, localPref };
}

/** <asn>:<port> for the ports of the serving apps (ascending), then their extra communities. */
function serviceCommunities(apps: readonly AppView[], asn: number): Community[] {
  const ports = [...new Set(apps.flatMap((a) => a.ports))].sort((x, y) => x - y);
  const out: Community[] = ports.map((p) => [asn, p] as const);
  const seen = new Set(out.map((c) => `${c[0]}:${c[1]}`));
  for (const c of uniqueSorted(apps.flatMap((a) => a.communities))) if (!seen.has(`${c[0]}:${c[1]}`)) out.push(c);
  return out;
}

function uniqueSorted(list: readonly Community[]): Community[] {
  const m = new Map<string, Community>();
  for (const c of list) m.set(`${c[0]}:${c[1]}`, c);
  return [...m.values()].sort(compareCommunities);
}

function withDrain(r: Route, opts: PlanOptions): Route {
  const x = r.attributes ?? NO_ATTRIBUTES;
  const route = { ...r, pathId: x.pathId, neighbors: x.neighbors };
  return opts.draining && !r.communities.some((c) => c[0] === GRACEFUL_SHUTDOWN[0] && c[1] === GRACEFUL_SHUTDOWN[1])
    ? { ...route, communities: [...r.communities, GRACEFUL_SHUTDOWN] }
    : route;
}

/** The commands of a route; null only if a value escaped validation (a bug, logged by the caller). */
export function sentRouteOf(route: Route): SentRoute | null {
  const x = route.attributes ?? NO_ATTRIBUTES;
  const target = { prefix: route.prefix, nextHop: route.nextHop, pathId: x.pathId, neighbors: x.neighbors };
  const a = buildAnnounce({ ...route, ...x, ...target });
  const w = buildWithdraw(target);
  if (!a.ok || !w.ok) return null;
  return { prefix: route.prefix, announce: a.value, withdraw: w.value, route };
}

/** What to send for one VIP: nothing when the desired route is what was sent. */
export function diffVip(sent: SentRoute | undefined, desired: Route | null): Change | null {
  if (desired === null) return sent ? { kind: "withdraw", prefix: sent.prefix, line: sent.withdraw } : null;
  const route = sentRouteOf(desired);
  if (route === null) throw new Error(`refusing to announce ${desired.prefix.text}: a value escaped validation`);
  if (sent && sent.announce === route.announce) return null;
  const retract = sent ? retraction(sent, desired) : null;
  return { kind: "announce", prefix: desired.prefix, line: route.announce, route, ...(retract ? { retract } : {}) };
}

/**
 * The withdraw a route needs before it is announced anew, or null. Another
 * path id is another route (ADD-PATH): the old one is withdrawn. Neighbors
 * left out are told to withdraw it; from "every neighbor" to chosen ones,
 * every neighbor is (ExaBGP's neighbors are not known here).
 */
export function retraction(sent: SentRoute, desired: Route): string | null {
  const was = sent.route.attributes ?? NO_ATTRIBUTES;
  const now = desired.attributes ?? NO_ATTRIBUTES;
  if (was.pathId !== now.pathId || (was.neighbors.length === 0 && now.neighbors.length > 0)) return sent.withdraw;
  if (now.neighbors.length === 0) return null;
  const kept = new Set(now.neighbors.map((n) => n.text));
  const left = was.neighbors.filter((n) => !kept.has(n.text));
  if (left.length === 0) return null;
  const w = buildWithdraw({ prefix: sent.prefix, nextHop: sent.route.nextHop, pathId: was.pathId, neighbors: left });
  return w.ok ? w.value : sent.withdraw;
}

/**
 * A withdraw of a VIP this process never announced: its first verdict after a
 * start. ExaBGP keeps the routes of a process that died and restarts it; the
 * new process must take back a VIP whose apps are now down, though it never
 * announced it itself (ExaBGP answers `done` even when it holds no such route).
 * `apps` (those naming it) give the path id and neighbors it was sent with.
 */
export function firstWithdraw(prefix: Prefix, nextHop: NextHopConfig, apps: readonly AppView[] = []): Change | null {
  const nh = nextHopFor(nextHop, prefix.family);
  if (nh === null) return null;
  const x = apps.length ? mergeAttributes(apps.map((a) => a.attributes ?? NO_ATTRIBUTES)) : NO_ATTRIBUTES;
  const w = buildWithdraw({ prefix, nextHop: nh, pathId: x.pathId, neighbors: x.neighbors });
  return w.ok ? { kind: "withdraw", prefix, line: w.value } : null;
}

/** Every VIP's desired route, for a whole set of apps (tests, `check`, full recomputes). */
export function planAll(apps: readonly AppView[], opts: PlanOptions): Map<string, Route> {
  const vips = new Map<string, Prefix>();
  for (const a of apps) for (const v of a.vips) vips.set(v.text, v);
  const out = new Map<string, Route>();
  for (const p of [...vips.values()].sort(comparePrefixes)) {
    const r = planVip(p, apps, opts);
    if (r) out.set(p.text, r);
  }
  return out;
}

/** The changes from `sent` to `desired` for the VIPs in `keys` (all of both when omitted), in prefix order. */
export function diffTables(
  sent: ReadonlyMap<string, SentRoute>,
  desired: ReadonlyMap<string, Route>,
  keys?: Iterable<string>,
): Change[] {
  const all = keys ? new Set(keys) : new Set([...sent.keys(), ...desired.keys()]);
  const prefixes = [...all].map((k) => desired.get(k)?.prefix ?? sent.get(k)?.prefix).filter((p): p is Prefix => p !== undefined);
  const out: Change[] = [];
  for (const p of prefixes.sort(comparePrefixes)) {
    const c = diffVip(sent.get(p.text), desired.get(p.text) ?? null);
    if (c) out.push(c);
  }
  return out;
}

/** Apply changes to the sent table (what ExaBGP has been told). */
export function applyChanges(sent: Map<string, SentRoute>, changes: readonly Change[]): void {
  for (const c of changes) {
    if (c.kind === "announce") sent.set(c.prefix.text, c.route);
    else sent.delete(c.prefix.text);
  }
}
