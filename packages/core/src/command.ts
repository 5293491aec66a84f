// ExaBGP text API commands, built only from validated values.
//
// The types ask for a parsed Prefix/IpAddress and numeric communities; the
// builder checks every number again and the finished line against the command
// grammar, so even a caller that forged a value cannot put a space-separated
// extra keyword, a newline or a second command on ExaBGP's stdin.

import type { Community, ExtendedCommunity, LargeCommunity } from "./community.js";
import { formatCommunity, formatExtendedCommunity, formatLargeCommunity, isU16, isU32, parseExtendedCommunity } from "./community.js";
import type { IpAddress, Prefix } from "./ip.js";
import { parseAddress, parsePrefix } from "./ip.js";
import type { Result } from "./result.js";
import { err, ok } from "./result.js";

export type NextHop = "self" | IpAddress;

export type Origin = "igp" | "egp" | "incomplete";
export const ORIGINS: readonly Origin[] = ["igp", "egp", "incomplete"];

export interface RouteSpec {
  readonly prefix: Prefix;
  readonly nextHop: NextHop;
  readonly pathId?: number | null;
  /** Only to these ExaBGP neighbors (empty or absent: every neighbor). */
  readonly neighbors?: readonly IpAddress[];
}

export interface AnnounceSpec extends RouteSpec {
  readonly origin?: Origin | null;
  /** AS_SEQUENCE, as ExaBGP is told (it prepends its own AS towards eBGP peers). */
  readonly asPath?: readonly number[];
  readonly communities?: readonly Community[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly extendedCommunities?: readonly ExtendedCommunity[];
  readonly med?: number | null;
  readonly localPref?: number | null;
}

const IP_RE = String.raw`[0-9a-f.:]+`;
const PREFIX_RE = String.raw`${IP_RE}/\d{1,3}`;
const NH_RE = String.raw`(?:self|${IP_RE})`;
const TAIL_RE = String.raw`(?: path-information \d+)?`;
const EXT_RE = String.raw`(?:target|origin):\d+:\d+`;
const ANNOUNCE_BODY =
  String.raw`announce route ${PREFIX_RE} next-hop ${NH_RE}${TAIL_RE}` +
  String.raw`(?: origin (?:igp|egp|incomplete))?(?: as-path \[\d+(?: \d+)*\])?` +
  String.raw`(?: community \[\d+:\d+(?: \d+:\d+)*\])?(?: large-community \[\d+:\d+:\d+(?: \d+:\d+:\d+)*\])?` +
  String.raw`(?: extended-community \[${EXT_RE}(?: ${EXT_RE})*\])?` +
  String.raw`(?: med \d+)?(?: local-preference \d+)?`;
const WITHDRAW_BODY = String.raw`withdraw route ${PREFIX_RE} next-hop ${NH_RE}${TAIL_RE}`;
/** API v4's neighbor selection, as ExaBGP 4.2's healthcheck writes it: `neighbor A , neighbor B announce …`. */
const V4_SELECT = String.raw`(?:neighbor ${IP_RE}(?: , neighbor ${IP_RE})* )?`;
/** API v6's: `peer * `, `peer A `, `peer [A, B] `. */
const V6_SELECT = String.raw`peer (?:\*|${IP_RE}|\[${IP_RE}(?:, ${IP_RE})*\]) `;
/** Every line exacast writes to ExaBGP matches one of these (API v4), or one of them with API v6's `peer …` first. */
export const ANNOUNCE_LINE = new RegExp(`^${V4_SELECT}${ANNOUNCE_BODY}$`);
export const WITHDRAW_LINE = new RegExp(`^${V4_SELECT}${WITHDRAW_BODY}$`);
/** API v6 (ExaBGP 6's default) puts the target first: `peer * announce route …` for every neighbor. */
export const V6_ROUTE_LINE = new RegExp(`^${V6_SELECT}(?:${ANNOUNCE_BODY}|${WITHDRAW_BODY})$`);

export const isCommandLine = (line: string): boolean => ANNOUNCE_LINE.test(line) || WITHDRAW_LINE.test(line) || V6_ROUTE_LINE.test(line);

/** The text API versions: 4 (ExaBGP 4.2, 5.0, and 6 with exabgp.api.version=4) and 6 (ExaBGP 6's default). */
export type ApiVersion = 4 | 6;

/**
 * A command built here (API v4 form) as API `api` takes it. The line is
 * checked against the grammar again, so nothing but a built command can
 * come out of it in either form.
 */
export function inApi(line: string, api: ApiVersion): Result<string> {
  if (!ANNOUNCE_LINE.test(line) && !WITHDRAW_LINE.test(line)) return err(`refusing malformed command ${JSON.stringify(line)}`);
  if (api === 4) return ok(line);
  const m = /^neighbor (\S+)((?: , neighbor \S+)*) (?=announce |withdraw )/.exec(line);
  if (!m) return ok(`peer * ${line}`);
  const ips = [m[1]!, ...m[2]!.split(" , neighbor ").slice(1)];
  const v6 = `peer ${ips.length === 1 ? ips[0] : `[${ips.join(", ")}]`} ${line.slice(m[0].length)}`;
  return V6_ROUTE_LINE.test(v6) ? ok(v6) : err(`refusing malformed command ${JSON.stringify(v6)}`);
}

/** Whether a line (either API's form) announces or withdraws. */
export function commandVerb(line: string): "announce" | "withdraw" | null {
  return /^(?:(?:neighbor|peer) .*? )?(announce|withdraw) route /.exec(line)?.[1] as "announce" | "withdraw" | null ?? null;
}

/** A forged value (not from the validators) would come back different from its text. */
function checkedAddress(a: IpAddress | undefined, what: string): Result<string> {
  const r = a && typeof a.text === "string" ? parseAddress(a.text) : null;
  return r?.ok && r.value.text === a!.text ? ok(r.value.text) : err(`${what} is not a validated address`);
}

function routeHead(verb: "announce" | "withdraw", spec: RouteSpec): Result<string> {
  const p = spec.prefix;
  const reparsed = p && typeof p.text === "string" ? parsePrefix(p.text) : null;
  if (!reparsed?.ok || reparsed.value.text !== p.text) return err("route prefix is not a validated prefix");
  let nh = "self";
  if (spec.nextHop !== "self") {
    const a = checkedAddress(spec.nextHop, "next-hop");
    if (!a.ok) return a;
    nh = a.value;
  }
  const select: string[] = [];
  for (const n of spec.neighbors ?? []) {
    const a = checkedAddress(n, "neighbor");
    if (!a.ok) return a;
    select.push(`neighbor ${a.value}`);
  }
  let line = `${select.length ? `${select.join(" , ")} ` : ""}${verb} route ${p.text} next-hop ${nh}`;
  if (spec.pathId !== undefined && spec.pathId !== null) {
    if (!isU32(spec.pathId)) return err(`path-information ${spec.pathId} is not a 32-bit integer`);
    line += ` path-information ${spec.pathId}`;
  }
  return ok(line);
}

const isAsn = (n: unknown) => isU32(n) && n !== 0;

export function buildAnnounce(spec: AnnounceSpec): Result<string> {
  const head = routeHead("announce", spec);
  if (!head.ok) return head;
  let line = head.value;
  if (spec.origin !== undefined && spec.origin !== null) {
    if (!ORIGINS.includes(spec.origin)) return err(`origin ${JSON.stringify(spec.origin)} is not igp, egp or incomplete`);
    line += ` origin ${spec.origin}`;
  }
  const path = spec.asPath ?? [];
  if (path.length > 0) {
    if (!path.every(isAsn)) return err("as-path values must be AS numbers 1..4294967295");
    line += ` as-path [${path.join(" ")}]`;
  }
  const communities = spec.communities ?? [];
  if (communities.length > 0) {
    if (!communities.every((c) => c.length === 2 && isU16(c[0]) && isU16(c[1]))) {
      return err("community values must be 16-bit integers");
    }
    line += ` community [${communities.map(formatCommunity).join(" ")}]`;
  }
  const large = spec.largeCommunities ?? [];
  if (large.length > 0) {
    if (!large.every((c) => c.length === 3 && isU32(c[0]) && isU32(c[1]) && isU32(c[2]))) {
      return err("large-community values must be 32-bit integers");
    }
    line += ` large-community [${large.map(formatLargeCommunity).join(" ")}]`;
  }
  const extended = spec.extendedCommunities ?? [];
  if (extended.length > 0) {
    const text = extended.map((c) => (c && typeof c === "object" ? formatExtendedCommunity(c) : ""));
    if (!text.every((t) => parseExtendedCommunity(t).ok)) return err("extended-community values must be route targets or origins as parsed");
    line += ` extended-community [${text.join(" ")}]`;
  }
  if (spec.med !== undefined && spec.med !== null) {
    if (!isU32(spec.med)) return err(`med ${spec.med} is not a 32-bit integer`);
    line += ` med ${spec.med}`;
  }
  if (spec.localPref !== undefined && spec.localPref !== null) {
    if (!isU32(spec.localPref)) return err(`local-preference ${spec.localPref} is not a 32-bit integer`);
    line += ` local-preference ${spec.localPref}`;
  }
  return ANNOUNCE_LINE.test(line) ? ok(line) : err(`refusing malformed command ${JSON.stringify(line)}`);
}

export function buildWithdraw(spec: RouteSpec): Result<string> {
  const head = routeHead("withdraw", spec);
  if (!head.ok) return head;
  return WITHDRAW_LINE.test(head.value) ? ok(head.value) : err(`refusing malformed command ${JSON.stringify(head.value)}`);
}
