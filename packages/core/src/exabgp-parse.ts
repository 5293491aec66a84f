// ExaBGP JSON line → small typed events. Never throws: bad input is an error value.

import type { Community, LargeCommunity } from "./community.js";
import { softAttributeReaders } from "./exabgp-attributes.js";
import { fastUpdate } from "./exabgp-fast.js";
import type { AttributesJson, NeighborJson, NlriJson, SoftAttribute } from "./exabgp-schema.js";
import {
  AnnounceFamilySchema,
  EnvelopeSchema,
  NeighborSchema,
  NotificationSchema,
  UpdateMessageSchema,
  WithdrawFamilySchema,
} from "./exabgp-schema.js";
import type { Prefix } from "./ip.js";
import { parseAddress, parseIPv4, parsePrefix } from "./ip.js";
import type { Result } from "./result.js";
import { MAX_LINE_LENGTH } from "./lines.js";
import { err, ok } from "./result.js";
import { formatIssues, formatPath } from "./zod-issues.js";

/** Route attributes as exacast keeps them; shared by every prefix of one update. */
export interface RouteAttributes {
  readonly origin?: string;
  /** The ASNs of the path's AS_SEQUENCE segments, in order (every ExaBGP's form reads to this). */
  readonly asPath?: readonly number[];
  readonly med?: number;
  readonly localPref?: number;
  readonly communities: readonly Community[];
  readonly largeCommunities: readonly LargeCommunity[];
  readonly extendedCommunities: readonly string[];
}

/** The unicast families exacast holds routes for; other families are ignored, not errors. */
export type RouteFamily = "ipv4 unicast" | "ipv6 unicast";
export type SessionState = "connected" | "up" | "down";

export type ExaEvent =
  /** `stopping`: a `down` ExaBGP wrote because it is itself stopping (see isExabgpStopping). */
  | { kind: "state"; neighbor: string; state: SessionState; reason?: string; stopping?: true }
  | {
      kind: "announce";
      neighbor: string;
      family: RouteFamily;
      nexthop: string;
      prefix: Prefix;
      pathId: number;
      attrs: RouteAttributes;
    }
  | { kind: "withdraw"; neighbor: string; family: RouteFamily; prefix: Prefix; pathId: number }
  | { kind: "eor"; neighbor: string; family: string }
  | { kind: "notification"; neighbor: string; direction: string; code: number; subcode: number; data: string }
  | { kind: "shutdown" }
  | { kind: "ignored"; type: string; reason: string }
  /** A part of a message that was read that exacast does not understand or use: left out, the rest kept. */
  | { kind: "unread"; path: string; reason: string };

/**
 * What each ExaBGP writes as the reason of the sessions it closes because it
 * is stopping itself (Peer.shutdown → `_stop("shutting down")`): 4.2 puts the
 * message in round brackets, 5.0 and 6 in square ones. Other `stop, message`
 * reasons (`removed`: the neighbor left the config) are real losses. ExaBGP 6
 * stopped with SIGTERM may write no `down` at all.
 */
export const EXABGP_STOPPING_REASONS = ["stop, message (shutting down)", "stop, message [shutting down]"] as const;

export function isExabgpStopping(reason: string | undefined): boolean {
  return reason !== undefined && EXABGP_STOPPING_REASONS.some((r) => reason.startsWith(r));
}


const FAMILIES: Record<string, 4 | 6> = { "ipv4 unicast": 4, "ipv6 unicast": 6 };
const STATES = new Set(["connected", "up", "down"]);

export function parseLine(line: string, maxLength = MAX_LINE_LENGTH): Result<ExaEvent[]> {
  if (line.length > maxLength) return err(`line too long (${line.length} characters, at most ${maxLength})`);
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return err(`not JSON: ${(e as Error).message}`);
  }
  return parseMessage(json);
}

/** A parsed JSON value → events. */
export function parseMessage(json: unknown): Result<ExaEvent[]> {
  const fast = fastUpdate(json);
  if (fast !== undefined) {
    const peer = cachedAddress(fast.peer);
    if (peer.ok) return routeEvents(peer.value, fast.attribute, fast.announce, fast.withdraw, fast.otherFamilies);
  }
  return parseMessageWithZod(json);
}

/** The specification path: every message type, with zod's error messages. */
export function parseMessageWithZod(json: unknown): Result<ExaEvent[]> {
  const env = EnvelopeSchema.safeParse(json);
  if (!env.success) return err(`not an ExaBGP message: ${formatIssues(env.error).join("; ")}`);
  const { type } = env.data;
  if (type === "notification" && env.data.notification === "shutdown") return ok([{ kind: "shutdown" }]);
  if (type !== "state" && type !== "update" && type !== "notification") {
    return ok([{ kind: "ignored", type, reason: "message type not used" }]);
  }
  const nb = NeighborSchema.safeParse(env.data.neighbor);
  if (!nb.success) return err(`${type}: ${formatIssues(nb.error, ["neighbor"]).join("; ")}`);
  const peer = cachedAddress(nb.data.address.peer);
  if (!peer.ok) return err(`${type}: neighbor.address.peer: ${peer.error}`);
  const neighbor = peer.value;
  if (type === "state") return stateEvent(neighbor, nb.data);
  if (type === "notification") return notificationEvent(neighbor, nb.data);
  if (nb.data.direction !== undefined && nb.data.direction !== "receive") {
    return ok([{ kind: "ignored", type, reason: `direction ${nb.data.direction}` }]);
  }
  return updateEvents(neighbor, nb.data.message);
}

// Peers and next-hops repeat on every line: remember their canonical text.
const addressCache = new Map<string, Result<string>>();
function cachedAddress(text: string): Result<string> {
  let r = addressCache.get(text);
  if (r === undefined) {
    const a = parseAddress(text);
    r = a.ok ? ok(a.value.text) : a;
    if (addressCache.size >= 4096) addressCache.clear();
    addressCache.set(text, r);
  }
  return r;
}

function stateEvent(neighbor: string, nb: NeighborJson): Result<ExaEvent[]> {
  if (nb.state === undefined) return err("state: neighbor.state missing");
  if (!STATES.has(nb.state)) return ok([{ kind: "ignored", type: "state", reason: `state ${nb.state}` }]);
  const ev: ExaEvent = { kind: "state", neighbor, state: nb.state as SessionState };
  if (nb.reason !== undefined) ev.reason = nb.reason;
  if (nb.state === "down" && isExabgpStopping(nb.reason)) ev.stopping = true;
  return ok([ev]);
}

function notificationEvent(neighbor: string, nb: NeighborJson): Result<ExaEvent[]> {
  const n = NotificationSchema.safeParse(nb.notification);
  if (!n.success) return err(`notification: ${formatIssues(n.error, ["neighbor", "notification"]).join("; ")}`);
  const { code, subcode, data = "" } = n.data;
  return ok([{ kind: "notification", neighbor, direction: nb.direction ?? "", code, subcode, data }]);
}

function updateEvents(neighbor: string, message: unknown): Result<ExaEvent[]> {
  const m = UpdateMessageSchema.safeParse(message);
  if (!m.success) return err(`update: ${formatIssues(m.error, ["neighbor", "message"]).join("; ")}`);
  if (m.data.eor) return ok([{ kind: "eor", neighbor, family: `${m.data.eor.afi} ${m.data.eor.safi}` }]);
  if (!m.data.update) return ok([{ kind: "ignored", type: "update", reason: "no update body" }]);
  const u = m.data.update;
  const announce: Record<string, Record<string, NlriJson[]>> = {};
  const withdraw: Record<string, NlriJson[]> = {};
  const others: string[] = [];
  for (const [family, raw] of Object.entries(u.withdraw ?? {})) {
    if (FAMILIES[family] === undefined) {
      others.push(`withdraw ${family}`);
      continue;
    }
    const list = WithdrawFamilySchema.safeParse(raw);
    if (!list.success) return err(`update: ${formatIssues(list.error, ["withdraw", family]).join("; ")}`);
    withdraw[family] = list.data;
  }
  for (const [family, raw] of Object.entries(u.announce ?? {})) {
    if (FAMILIES[family] === undefined) {
      others.push(`announce ${family}`);
      continue;
    }
    const byNexthop = AnnounceFamilySchema.safeParse(raw);
    if (!byNexthop.success) return err(`update: ${formatIssues(byNexthop.error, ["announce", family]).join("; ")}`);
    announce[family] = byNexthop.data;
  }
  return routeEvents(neighbor, u.attribute, announce, withdraw, others);
}

/** Events of a validated update (unicast families only in `announce`/`withdraw`). */
function routeEvents(
  neighbor: string,
  attribute: AttributesJson | undefined,
  announce: Record<string, Record<string, NlriJson[]>>,
  withdraw: Record<string, NlriJson[]>,
  otherFamilies: readonly string[],
): Result<ExaEvent[]> {
  const events: ExaEvent[] = [];
  // A BGP UPDATE's withdrawn routes are processed before its NLRI (RFC 4271 §9).
  for (const family in withdraw) {
    const fam = FAMILIES[family]!;
    for (const entry of withdraw[family]!) {
      const r = nlriOf(entry, fam, `withdraw.${family}`);
      if (!r.ok) return r;
      events.push({ kind: "withdraw", neighbor, family: family as RouteFamily, prefix: r.value.prefix, pathId: r.value.pathId });
    }
  }
  let attrs: RouteAttributes | undefined;
  let unread: ExaEvent[] = [];
  for (const family in announce) {
    const fam = FAMILIES[family]!;
    const byNexthop = announce[family]!;
    for (const nh in byNexthop) {
      const nexthop = cachedAddress(nh);
      if (!nexthop.ok) return err(`announce.${family}: next-hop: ${nexthop.error}`);
      for (const entry of byNexthop[nh]!) {
        const r = nlriOf(entry, fam, `announce.${family}`);
        if (!r.ok) return r;
        if (attrs === undefined) ({ attrs, unread } = attributesOf(attribute));
        events.push({
          kind: "announce",
          neighbor,
          family: family as RouteFamily,
          nexthop: nexthop.value,
          prefix: r.value.prefix,
          pathId: r.value.pathId,
          attrs,
        });
      }
    }
  }
  for (const f of otherFamilies) {
    const [verb, ...family] = f.split(" ");
    events.push({ kind: "unread", path: formatPath([...UPDATE_PATH, verb!, family.join(" ")]), reason: "family not read (exacast holds ipv4 and ipv6 unicast)" });
  }
  return ok(unread.length > 0 ? [...events, ...unread] : events);
}

const UPDATE_PATH = ["neighbor", "message", "update"];
const SOFT: readonly SoftAttribute[] = ["origin", "as-path", "as-set", "large-community", "extended-community"];

function nlriOf(
  entry: NlriJson,
  fam: 4 | 6,
  where: string,
): Result<{ prefix: Prefix; pathId: number }> {
  const text = typeof entry === "string" ? entry : entry.nlri;
  const p = parsePrefix(text);
  if (!p.ok) return err(`${where}: ${p.error}`);
  if (p.value.family !== fam) return err(`${where}: ${p.value.text} is not an IPv${fam} prefix`);
  const pi = typeof entry === "string" ? undefined : entry["path-information"];
  if (pi === undefined) return ok({ prefix: p.value, pathId: 0 });
  // ExaBGP writes path ids as dotted quads ("0.0.0.1"); accept a plain integer too.
  const id = /^\d{1,10}$/.test(pi) ? Number(pi) : parseIPv4(pi);
  if (id === null || id > 0xffffffff) return err(`${where}: invalid path-information ${JSON.stringify(pi)}`);
  return ok({ prefix: p.value, pathId: id });
}

const NO_ATTRIBUTES: RouteAttributes = Object.freeze({
  communities: [],
  largeCommunities: [],
  extendedCommunities: [],
});

function attributesOf(a: AttributesJson | undefined): { attrs: RouteAttributes; unread: ExaEvent[] } {
  if (!a) return { attrs: NO_ATTRIBUTES, unread: [] };
  const out: { -readonly [K in keyof RouteAttributes]: RouteAttributes[K] } = {
    communities: a.community ?? [],
    largeCommunities: [],
    extendedCommunities: [],
  };
  const unread: ExaEvent[] = [];
  for (const name of SOFT) {
    if (a[name] === undefined) continue;
    const r = softAttributeReaders[name](a[name]);
    if (!r.ok) {
      unread.push({ kind: "unread", path: formatPath([...UPDATE_PATH, "attribute", name]), reason: r.error });
      continue;
    }
    if (name === "origin") out.origin = r.value as string;
    else if (name === "as-path") out.asPath = r.value as number[];
    else if (name === "large-community") out.largeCommunities = r.value as LargeCommunity[];
    else if (name === "extended-community") out.extendedCommunities = r.value as string[];
  }
  if (a.med !== undefined) out.med = a.med;
  if (a["local-preference"] !== undefined) out.localPref = a["local-preference"];
  return { attrs: out, unread };
}
