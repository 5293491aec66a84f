// zod schemas for config values both programs share. Each one turns text into
// a validated value (Prefix, IpAddress, Community, milliseconds) so nothing
// downstream sees a raw string from a file or a request.

import { z } from "zod";
import type { Community, LargeCommunity } from "./community.js";
import { isCommunityAsn, isU32, parseCommunity, parseLargeCommunity } from "./community.js";
import { parseDuration } from "./duration.js";
import type { IpAddress, Prefix } from "./ip.js";
import { parseAddress, parsePrefix } from "./ip.js";
import { LOG_FORMATS, LOG_LEVELS } from "./log.js";
import type { Result } from "./result.js";

function fromResult<T>(parse: (v: string) => Result<T>) {
  return z.string().transform((v, ctx): T => {
    const r = parse(v);
    if (!r.ok) {
      ctx.addIssue({ code: "custom", message: r.error });
      return z.NEVER;
    }
    return r.value;
  });
}

/** Milliseconds, from `250ms` / `2s` / `5m` / `1h` or a number of seconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx): number => {
  const r = parseDuration(v);
  if (!r.ok) {
    ctx.addIssue({ code: "custom", message: r.error });
    return z.NEVER;
  }
  return r.value;
});

export const prefixSchema = fromResult<Prefix>(parsePrefix);
export const addressSchema = fromResult<IpAddress>(parseAddress);
export const communitySchema = fromResult<Community>(parseCommunity);
export const largeCommunitySchema = fromResult<LargeCommunity>(parseLargeCommunity);

export const portSchema = z
  .number({ error: "expected a port number 1..65535" })
  .int("expected a port number 1..65535")
  .min(1, "expected a port number 1..65535")
  .max(65535, "expected a port number 1..65535");

export const communityAsnSchema = z
  .number()
  .refine(isCommunityAsn, "expected a community ASN 1..65534 (16-bit, 0 and 65535 reserved)");

export const u32Schema = z.number().refine(isU32, "expected an integer 0..4294967295");

/** Names of apps and templates: they appear in logs, metrics labels and URLs. */
export const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, "expected 1-64 characters of A-Z a-z 0-9 _ . -");

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port` or `[v6]:port`; host is an IP address or a DNS-style name. */
export function parseHostPort(s: string): Result<HostPort> {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(s);
  const bad = { ok: false as const, error: `expected host:port, got ${JSON.stringify(s)}` };
  if (!m) return bad;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return bad;
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined) {
    const a = parseAddress(host);
    if (!a.ok || a.value.family !== 6) return bad;
    return { ok: true, value: { host: a.value.text, port } };
  }
  if (/^[\d.]+$/.test(host)) {
    const a = parseAddress(host);
    if (!a.ok) return bad;
    return { ok: true, value: { host: a.value.text, port } };
  }
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(host)) return bad;
  return { ok: true, value: { host, port } };
}

export const hostPortSchema = fromResult<HostPort>(parseHostPort);

export const logFormatSchema = z.enum(LOG_FORMATS);
export const logLevelSchema = z.enum(LOG_LEVELS);

/** A secret sent in a header (an endpoint's bearer token, Consul's): visible ASCII only, so it cannot break the header. */
export const tokenSchema = z
  .string()
  .min(1, "expected a non-empty token")
  .max(4096, "at most 4096 characters")
  .regex(/^[\x21-\x7e]+$/, "expected visible ASCII characters only (no spaces or control characters)");
