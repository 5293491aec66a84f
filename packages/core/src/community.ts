// BGP communities as exacast uses them: `<community_asn>:<port>` names a service
// port; RFC 8326 GRACEFUL_SHUTDOWN (65535:0) marks a route as draining.

import type { Result } from "./result.js";
import { err, ok } from "./result.js";

/** A standard (RFC 1997) community: two 16-bit halves. */
export type Community = readonly [asn: number, value: number];
/** A large (RFC 8092) community: three 32-bit values. */
export type LargeCommunity = readonly [global: number, local1: number, local2: number];

export const GRACEFUL_SHUTDOWN: Community = [65535, 0];
export const DEFAULT_COMMUNITY_ASN = 12345;

const U16 = /^(?:0|[1-9][0-9]{0,4})$/;
const U32 = /^(?:0|[1-9][0-9]{0,9})$/;

export const isU16 = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;
export const isU32 = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
export const isPort = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;
/**
 * An ASN usable as community_asn: 0 and 65535 are reserved, and with 65535 the
 * well-known communities (65535:65281 NO_EXPORT, …) would read as service ports.
 */
export const isCommunityAsn = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65534;

export function parseCommunity(s: string): Result<Community> {
  if (typeof s !== "string") return err("expected a community as a string like 65000:100");
  const parts = s.split(":");
  if (parts.length !== 2 || !U16.test(parts[0]!) || !U16.test(parts[1]!)) {
    return err(`invalid community ${JSON.stringify(s)}: expected <0-65535>:<0-65535>`);
  }
  const c: Community = [Number(parts[0]), Number(parts[1])];
  if (!isU16(c[0]) || !isU16(c[1])) return err(`invalid community ${JSON.stringify(s)}: each half must be 0..65535`);
  return ok(c);
}

export function parseLargeCommunity(s: string): Result<LargeCommunity> {
  if (typeof s !== "string") return err("expected a large community as a string like 65000:1:2");
  const parts = s.split(":");
  if (parts.length !== 3 || !parts.every((p) => U32.test(p) && isU32(Number(p)))) {
    return err(`invalid large community ${JSON.stringify(s)}: expected <0-4294967295>:<…>:<…>`);
  }
  return ok([Number(parts[0]), Number(parts[1]), Number(parts[2])]);
}

export const formatCommunity = (c: Community): string => `${c[0]}:${c[1]}`;
export const formatLargeCommunity = (c: LargeCommunity): string => `${c[0]}:${c[1]}:${c[2]}`;

/** The community announcing `port` under `asn`, e.g. 12345:443. */
export function serviceCommunity(asn: number, port: number): Community {
  if (!isCommunityAsn(asn)) throw new RangeError(`community ASN ${asn} out of range 1..65534`);
  if (!isPort(port)) throw new RangeError(`port ${port} out of range 1..65535`);
  return [asn, port];
}

/** The service port a community names under `asn`, or null. */
export function servicePort(c: Community, asn: number): number | null {
  return c[0] === asn && c[1] >= 1 ? c[1] : null;
}

export const isGracefulShutdown = (c: Community): boolean => c[0] === 65535 && c[1] === 0;

export function compareCommunities(a: Community, b: Community): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * An extended (RFC 4360) route target or route origin of a 2-byte AS number,
 * in ExaBGP's text form `target:<asn>:<n>` / `origin:<asn>:<n>`. The other
 * layouts are refused: ExaBGP puts them on the wire differently by version
 * (seen in GoBGP: 4.2 sends an IPv4 address as an AS number; 6 sends a
 * 4-byte AS number as an IPv4 address), so the route would carry another
 * community than the one written.
 */
export interface ExtendedCommunity {
  readonly type: "target" | "origin";
  /** A 2-byte AS number. */
  readonly global: number;
  /** 0..4294967295. */
  readonly local: number;
}

export function parseExtendedCommunity(s: string): Result<ExtendedCommunity> {
  const bad = err(`invalid extended community ${JSON.stringify(typeof s === "string" ? s.slice(0, 80) : s)}: expected target:<asn>:<n> or origin:<asn>:<n>`);
  if (typeof s !== "string") return bad;
  const m = /^(target|origin):([^:]+):([^:]+)$/.exec(s);
  if (!m) return bad;
  const why = "ExaBGP 4.2 and 6 encode it differently, so the route would carry another community";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(m[2]!)) return err(`invalid extended community ${JSON.stringify(s)}: an IPv4 address before the value is not supported (${why})`);
  if (!U32.test(m[2]!) || !U32.test(m[3]!)) return bad;
  const global = Number(m[2]);
  const local = Number(m[3]);
  if (!isU32(global) || !isU32(local)) return bad;
  if (!isU16(global)) return err(`invalid extended community ${JSON.stringify(s)}: a 4-byte AS number is not supported (${why}); use a 2-byte one`);
  return ok({ type: m[1] as "target" | "origin", global, local });
}

export const formatExtendedCommunity = (c: ExtendedCommunity): string => `${c.type}:${c.global}:${c.local}`;

/** Extended communities in the order of their text (to sort and deduplicate). */
export function compareExtendedCommunities(a: ExtendedCommunity, b: ExtendedCommunity): number {
  const x = formatExtendedCommunity(a);
  const y = formatExtendedCommunity(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
