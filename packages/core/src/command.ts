// ExaBGP text API commands, built only from validated values.
//
// The types ask for a parsed Prefix/IpAddress and numeric communities; the
// builder checks every number again and the finished line against the command
// grammar, so even a caller that forged a value cannot put a space-separated
// extra keyword, a newline or a second command on ExaBGP's stdin.

import type { Community, LargeCommunity } from "./community.js";
import { formatCommunity, formatLargeCommunity, isU16, isU32 } from "./community.js";
import type { IpAddress, Prefix } from "./ip.js";
import { parseAddress, parsePrefix } from "./ip.js";
import type { Result } from "./result.js";
import { err, ok } from "./result.js";

export type NextHop = "self" | IpAddress;

export interface RouteSpec {
  readonly prefix: Prefix;
  readonly nextHop: NextHop;
  readonly pathId?: number | null;
}

export interface AnnounceSpec extends RouteSpec {
  readonly communities?: readonly Community[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly med?: number | null;
  readonly localPref?: number | null;
}

const PREFIX_RE = String.raw`[0-9a-f.:]+/\d{1,3}`;
const NH_RE = String.raw`(?:self|[0-9a-f.:]+)`;
const TAIL_RE = String.raw`(?: path-information \d+)?`;
const ANNOUNCE_BODY =
  String.raw`announce route ${PREFIX_RE} next-hop ${NH_RE}${TAIL_RE}` +
  String.raw`(?: community \[\d+:\d+(?: \d+:\d+)*\])?(?: large-community \[\d+:\d+:\d+(?: \d+:\d+:\d+)*\])?` +
  String.raw`(?: med \d+)?(?: local-preference \d+)?`;
const WITHDRAW_BODY = String.raw`withdraw route ${PREFIX_RE} next-hop ${NH_RE}${TAIL_RE}`;
/** Every line exacast writes to ExaBGP matches one of these (API v4), or one of them behind `peer * ` (API v6). */
export const ANNOUNCE_LINE = new RegExp(`^${ANNOUNCE_BODY}$`);
export const WITHDRAW_LINE = new RegExp(`^${WITHDRAW_BODY}$`);
/** API v6 (ExaBGP 6's default) puts the target first: `peer * announce route …` for every neighbor. */
export const V6_ROUTE_LINE = new RegExp(`^peer \\* (?:${ANNOUNCE_BODY}|${WITHDRAW_BODY})$`);

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
  return ok(api === 6 ? `peer * ${line}` : line);
}

function routeHead(verb: "announce" | "withdraw", spec: RouteSpec): Result<string> {
  const p = spec.prefix;
  const reparsed = p && typeof p.text === "string" ? parsePrefix(p.text) : null;
  if (!reparsed?.ok || reparsed.value.text !== p.text) return err("route prefix is not a validated prefix");
  let nh: string;
  if (spec.nextHop === "self") nh = "self";
  else {
    const a = spec.nextHop && typeof spec.nextHop.text === "string" ? parseAddress(spec.nextHop.text) : null;
    if (!a?.ok || a.value.text !== spec.nextHop.text) return err("next-hop is not a validated address");
    nh = a.value.text;
  }
  let line = `${verb} route ${p.text} next-hop ${nh}`;
  if (spec.pathId !== undefined && spec.pathId !== null) {
    if (!isU32(spec.pathId)) return err(`path-information ${spec.pathId} is not a 32-bit integer`);
    line += ` path-information ${spec.pathId}`;
  }
  return ok(line);
}

export function buildAnnounce(spec: AnnounceSpec): Result<string> {
  const head = routeHead("announce", spec);
  if (!head.ok) return head;
  let line = head.value;
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
