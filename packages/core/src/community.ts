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
