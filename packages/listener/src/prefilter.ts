// Decides, without JSON.parse, whether a line from ExaBGP can change the RIB
// (or is a session event). A full table is ~99% routes that are not services:
// parsing them only to drop them would cost more than everything else the
// listener does.
//
// A line may be skipped only when every one of these holds (else it is parsed):
// - it has ExaBGP's shape (`{ "exabgp": ` … `}`): anything else, such as junk
//   that must be logged, goes to the parser (a skipped line is not validated
//   beyond this shape);
// - it has no backslash, so every JSON string is its literal text and a key or
//   value cannot hide behind \u escapes;
// - none of its strings is "state", "notification" or "eor" (session events,
//   and End-of-RIB, which the daemon renders on; other message types are
//   ignored);
// - no `"community"` list in it holds the community ASN, or a number written
//   with a fraction or an exponent (`1.2345e4` is 12345 too): no announce in
//   it can carry our community;
// - no string after its first `announce"` or `withdraw"` that is not a key
//   names a held prefix, in any form the parser reads (`10.0.0.1` is
//   10.0.0.1/32; IPv6 in any spelling): the parser takes NLRIs only from the
//   values of the keys announce and withdraw, so a withdraw of a held prefix,
//   or its re-announce without our community, reaches the RIB. (With no
//   backslash, quotes alternate opening and closing strings; the quote ending
//   that first `announce"` closes one.)
// False positives only cost a parse. False negatives would be bugs: a property
// test holds "prefilter + parse" equal to "parse everything".
//
// Speed: before that first announce/withdraw, one regular expression and
// indexOf searches (native code) do the work; after it, where a long UPDATE
// has hundreds of NLRIs, the line is walked string by string, and an IPv4
// NLRI is fingerprinted as it is read and looked up only when the RIB's
// fingerprint table says it may be held. A JavaScript loop over every
// character would cost more than JSON.parse.

import { parsePrefix } from "@exacast/core";
import { fingerprintSlot, fingerprintStep } from "./held-prefixes.js";

const HEAD = '"exabgp": ';
const SESSION = /"(?:state|notification|eor)"/;
const NOT_AN_INTEGER = /[.eE]/;
/** Both 9 characters long: the body starts 9 past the first of them. */
const ANNOUNCE = 'announce"';
const WITHDRAW = 'withdraw"';

export interface HeldPrefixes {
  holdsPrefix(text: string): boolean;
  readonly heldPrefixCount: number;
  /** Slot fingerprintSlot(fp) is 0 when no held prefix's canonical text has fingerprint fp (held-prefixes.ts); absent: any may. */
  readonly heldFingerprints?: Uint8Array;
}

export class Prefilter {
  private readonly asnText: string;

  constructor(
    asn: number,
    private readonly held: HeldPrefixes,
  ) {
    this.asnText = String(asn);
  }

  /** False only when the line cannot change the RIB and is no session event. */
  mayMatter(line: string): boolean {
    if (line.charCodeAt(0) !== 0x7b || !line.startsWith(HEAD, 2) || line.charCodeAt(line.length - 1) !== 0x7d) return true;
    if (line.indexOf("\\") !== -1) return true;
    const a = line.indexOf(ANNOUNCE);
    const w = line.indexOf(WITHDRAW);
    const body = a === -1 ? w : w === -1 ? a : Math.min(a, w);
    const head = body === -1 ? line : line.slice(0, body);
    if (SESSION.test(head) || this.mayCarryOurCommunity(head)) return true;
    return body !== -1 && this.bodyMayMatter(line, body + ANNOUNCE.length);
  }

  private mayCarryOurCommunity(text: string): boolean {
    for (let at = text.indexOf('community"'); at !== -1; at = text.indexOf('community"', at + 10)) {
      if (text.charCodeAt(at - 1) === 0x22 && this.listMayCarryOurCommunity(text, at + 10)) return true; // not large-community, extended-community
    }
    return false;
  }

  /** `i`: just past the closing quote of a "community" string. */
  private listMayCarryOurCommunity(line: string, i: number): boolean {
    i = skipSpaces(line, i);
    if (line.charCodeAt(i) !== 0x3a /* : */) return false; // a value, not a key
    i = skipSpaces(line, i + 1);
    if (line.charCodeAt(i) !== 0x5b /* [ */) return true;
    // A list of number pairs has no `"` or `}`: the first one ends it (if it
    // does not, the list is invalid and the parser refuses the whole line).
    let end = line.indexOf('"', i);
    const brace = line.indexOf("}", i);
    if (end === -1 || (brace !== -1 && brace < end)) end = brace === -1 ? line.length : brace;
    const list = line.slice(i, end);
    return list.indexOf(this.asnText) !== -1 || NOT_AN_INTEGER.test(list);
  }

  /** Every string from `from` on, where `from` is outside any string. */
  private bodyMayMatter(line: string, from: number): boolean {
    const checkNlris = this.held.heldPrefixCount > 0;
    const table = this.held.heldFingerprints;
    for (let open = line.indexOf('"', from); open !== -1; open = line.indexOf('"', open + 1)) {
      // Four characters from an "n", as the key "nlri": no prefix, session
      // word or "community", whatever it is. Its closing quote is next.
      if (line.charCodeAt(open + 5) === 0x22 && line.charCodeAt(open + 1) === 0x6e) {
        open += 5;
        continue;
      }
      // Read digits, dots and slashes (0x2e–0x39), fingerprinting them: an
      // IPv4 prefix if the string ends there.
      let i = open + 1;
      let h = 0;
      let c = line.charCodeAt(i);
      while (c >= 0x2e && c <= 0x39) {
        h = fingerprintStep(h, c);
        c = line.charCodeAt(++i);
      }
      if (c === 0x22 && i > open + 1) {
        if (checkNlris && this.ipv4MayBeHeld(line, open + 1, i, h, table) && line.charCodeAt(skipSpaces(line, i + 1)) !== 0x3a /* a key */) return true;
        open = i;
        continue;
      }
      const close = c === 0x22 ? i : line.indexOf('"', i);
      if (close === -1) return true; // unterminated: the parser judges
      const key = line.charCodeAt(skipSpaces(line, close + 1)) === 0x3a;
      if (isSessionWord(line, open + 1, close)) return true;
      if (key) {
        if (close - open === 10 && line.startsWith("community", open + 1) && this.listMayCarryOurCommunity(line, close + 1)) return true;
      } else if (checkNlris && this.mayBeHeld(line.slice(open + 1, close))) return true;
      open = close;
    }
    return false;
  }

  /**
   * line[a, b) is digits, dots and slashes, with fingerprint h: its own
   * canonical text (or invalid, and the parser refuses the line); without a
   * prefix length (a slash 2 or 3 from the end) it means /32.
   */
  private ipv4MayBeHeld(line: string, a: number, b: number, h: number, table: Uint8Array | undefined): boolean {
    const slash = line.charCodeAt(b - 2) === 0x2f || line.charCodeAt(b - 3) === 0x2f;
    const fingerprint = slash ? h : fingerprintStep(fingerprintStep(fingerprintStep(h, 0x2f), 0x33), 0x32);
    if (table !== undefined && table[fingerprintSlot(fingerprint, table.length)] === 0) return false;
    return this.held.holdsPrefix(slash ? line.slice(a, b) : `${line.slice(a, b)}/32`);
  }

  /** Whether a string that is not IPv4 text may name a held prefix (IPv6 in any spelling). */
  private mayBeHeld(s: string): boolean {
    if (this.held.holdsPrefix(s)) return true;
    const p = parsePrefix(s);
    return p.ok && this.held.holdsPrefix(p.value.text);
  }
}

function isSessionWord(line: string, a: number, b: number): boolean {
  const n = b - a;
  return (n === 5 && line.startsWith("state", a)) || (n === 3 && line.startsWith("eor", a)) || (n === 12 && line.startsWith("notification", a));
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function skipSpaces(s: string, i: number): number {
  // ExaBGP writes no space or one: look at most two characters ahead before looping.
  if (!isSpace(s.charCodeAt(i))) return i;
  if (!isSpace(s.charCodeAt(i + 1))) return i + 1;
  i += 2;
  while (isSpace(s.charCodeAt(i))) i++;
  return i;
}
