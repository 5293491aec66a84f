// IP addresses and prefixes, parsed strictly and written canonically.
//
// Everything that reaches ExaBGP's stdin or a rendered file goes through these
// parsers: a value that survives them is digits, hex, dots, colons and one
// slash, so it cannot carry a space, a newline or a second command.

import type { Result } from "./result.js";
import { err, ok } from "./result.js";

export type Family = 4 | 6;

declare const validated: unique symbol;

/** An address that went through parseAddress: canonical text, no zone, no spaces. */
export interface IpAddress {
  readonly family: Family;
  /** Canonical text: dotted quad, or RFC 5952 IPv6. */
  readonly text: string;
  /** Fixed-width hex of the address bits (8 or 32 digits): orders addresses numerically. */
  readonly hex: string;
  readonly [validated]: true;
}

/** A prefix that went through parsePrefix: network address (no host bits) and length. */
export interface Prefix {
  readonly family: Family;
  readonly address: string;
  readonly length: number;
  /** `address/length`, canonical. */
  readonly text: string;
  /** Orders prefixes: IPv4 before IPv6, then address numerically, then length. */
  readonly sortKey: string;
  readonly [validated]: true;
}

const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** IPv4 dotted quad to its 32-bit value, or null. Leading zeros are refused (octal ambiguity). */
export function parseIPv4(s: string): number | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!DEC_OCTET.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/** IPv6 text to its eight 16-bit groups, or null. Accepts `::` and a trailing dotted quad. */
export function parseIPv6(s: string): number[] | null {
  if (s.length < 2 || s.length > 45) return null;
  const lastColon = s.lastIndexOf(":");
  if (lastColon === -1) return null;
  let text = s;
  const v4tail: number[] = [];
  if (s.indexOf(".", lastColon) !== -1) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    v4tail.push(v4 >>> 16, v4 & 0xffff);
    text = s.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const need = 8 - v4tail.length;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0]!);
  if (head === null) return null;
  if (halves.length === 1) return head.length === need ? [...head, ...v4tail] : null;
  const rest = groupsOf(halves[1]!);
  if (rest === null || head.length + rest.length > need - 1) return null;
  const zeros = new Array<number>(need - head.length - rest.length).fill(0);
  return [...head, ...zeros, ...rest, ...v4tail];
}

function groupsOf(h: string): number[] | null {
  if (h === "") return [];
  const out: number[] = [];
  for (const g of h.split(":")) {
    if (!HEX_GROUP.test(g)) return null;
    out.push(parseInt(g, 16));
  }
  return out;
}

function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (>1) of zero groups as `::`. */
function formatIPv6(g: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

const hex8 = (v: number) => v.toString(16).padStart(8, "0");
const hex4 = (v: number) => v.toString(16).padStart(4, "0");

// Values are read-only by type; freezing each of a million prefixes costs more than it protects.
function make<T>(v: object): T {
  return v as T;
}

export function parseAddress(s: string): Result<IpAddress> {
  if (typeof s !== "string") return err("not a string");
  if (s.includes(".") && !s.includes(":")) {
    const v = parseIPv4(s);
    if (v === null) return err(`invalid IPv4 address ${JSON.stringify(s)}`);
    return ok(make<IpAddress>({ family: 4, text: formatIPv4(v), hex: hex8(v) }));
  }
  const g = s.includes(":") ? parseIPv6(s) : null;
  if (g === null) return err(`invalid IP address ${JSON.stringify(s)}`);
  return ok(make<IpAddress>({ family: 6, text: formatIPv6(g), hex: g.map(hex4).join("") }));
}

/**
 * Parse `address/length` (a bare address is a host prefix). Host bits set below
 * the length are refused rather than silently masked: `10.0.0.1/24` is almost
 * always a typo, and BGP would announce 10.0.0.0/24 instead.
 */
export function parsePrefix(s: string): Result<Prefix> {
  if (typeof s !== "string") return err("not a string");
  const fast = canonicalIPv4Prefix(s);
  if (fast !== null) return ok(fast);
  const slash = s.indexOf("/");
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr.ok) return err(`invalid prefix ${JSON.stringify(s)}: ${addr.error}`);
  const max = addr.value.family === 4 ? 32 : 128;
  let length = max;
  if (slash !== -1) {
    const lenText = s.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > max) {
      return err(`invalid prefix ${JSON.stringify(s)}: length must be 0..${max}`);
    }
    length = Number(lenText);
  }
  if (!hostBitsClear(addr.value.hex, length)) {
    return err(`invalid prefix ${JSON.stringify(s)}: host bits set beyond /${length}`);
  }
  return ok(prefixOf(addr.value, length));
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const V6_PAD = "0".repeat(24);

/**
 * The common case in one pass: a canonical `a.b.c.d/len` with host bits clear.
 * Anything else (bare address, leading zeros, host bits, junk) returns null
 * and goes the general way, which also writes the error message.
 */
function canonicalIPv4Prefix(s: string): Prefix | null {
  const n = s.length;
  if (n < 9 || n > 18) return null;
  const o = [0, 0, 0, 0];
  let part = 0;
  let digits = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && o[part] === 0) return null;
      const v = o[part]! * 10 + (c - 48);
      if (v > 255) return null;
      o[part] = v;
      digits++;
    } else if (c === 46 && digits > 0 && part < 3) {
      part++;
      digits = 0;
    } else if (c === 47 && digits > 0 && part === 3) break;
    else return null;
  }
  if (i === n) return null;
  let length = 0;
  const lenDigits = n - i - 1;
  if (lenDigits < 1 || lenDigits > 2 || (lenDigits === 2 && s.charCodeAt(i + 1) === 48)) return null;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
    length = length * 10 + (c - 48);
  }
  if (length > 32) return null;
  const value = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  if (length < 32 && value % 2 ** (32 - length) !== 0) return null;
  return make<Prefix>({
    family: 4,
    address: s.slice(0, i),
    length,
    text: s,
    sortKey: `4${HEX2[o[0]!]}${HEX2[o[1]!]}${HEX2[o[2]!]}${HEX2[o[3]!]}${V6_PAD}${HEX2[length]}`,
  });
}

function prefixOf(addr: IpAddress, length: number): Prefix {
  const text = `${addr.text}/${length}`;
  return make<Prefix>({
    family: addr.family,
    address: addr.text,
    length,
    text,
    sortKey: `${addr.family}${addr.hex.padEnd(32, "0")}${length.toString(16).padStart(2, "0")}`,
  });
}

function hostBitsClear(hex: string, length: number): boolean {
  const bits = hex.length * 4;
  for (let i = Math.floor(length / 4); i < hex.length; i++) {
    const nibble = parseInt(hex[i]!, 16);
    const keep = Math.max(0, Math.min(4, length - i * 4));
    const hostMask = (1 << (4 - keep)) - 1;
    if ((nibble & hostMask) !== 0) return false;
  }
  return length <= bits;
}

/** Prefix order of the services map: IPv4 before IPv6, numeric address, shorter first. */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}

/** The address part of `a.b.c.d/len` (what templates call `addr(prefix)`). */
export function addressOf(prefix: string): string {
  const slash = prefix.indexOf("/");
  return slash === -1 ? prefix : prefix.slice(0, slash);
}
