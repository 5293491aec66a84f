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
// - it mentions none of "state", "notification", "eor" (session events, and
//   End-of-RIB, which the daemon renders on; other message types are ignored);
// - no `"community"` list in it holds the community ASN, or a number written
//   with a fraction or an exponent (`1.2345e4` is 12345 too): no announce in
//   it can carry our community;
// - no NLRI in it is a prefix held for any neighbor: a withdraw of a held
//   prefix, or its re-announce without our community, must reach the RIB.
//   NLRIs are `"nlri": "<prefix>"` values, or bare strings in a list, which
//   ExaBGP does not write: a list holding a string sends the line to the parser.
// False positives only cost a parse. False negatives would be bugs: a property
// test holds "prefilter + parse" equal to "parse everything".
//
// Every search is an indexOf for a needle whose first character is rare in
// ExaBGP's lines (not `"`), then a look at its neighbours: a JavaScript loop
// over the characters would cost more than JSON.parse.

import { parsePrefix } from "@exacast/core";

const HEAD = '"exabgp": ';
const SESSION = /"(?:state|notification|eor)"/;
const NOT_AN_INTEGER = /[.eE]/;

export interface HeldPrefixes {
  holdsPrefix(text: string): boolean;
  readonly heldPrefixCount: number;
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
    if (line.indexOf("\\") !== -1 || SESSION.test(line)) return true;
    if (this.mayCarryOurCommunity(line)) return true;
    if (this.held.heldPrefixCount === 0) return false;
    return this.nlriMayBeHeld(line) || hasStringInList(line);
  }

  private mayCarryOurCommunity(line: string): boolean {
    for (let at = line.indexOf('community"'); at !== -1; at = line.indexOf('community"', at + 10)) {
      if (line.charCodeAt(at - 1) !== 0x22) continue; // large-community, extended-community
      let i = skipSpaces(line, at + 10);
      if (line.charCodeAt(i) !== 0x3a /* : */) continue; // a value, not a key
      i = skipSpaces(line, i + 1);
      if (line.charCodeAt(i) !== 0x5b /* [ */) return true;
      // A list of number pairs has no `"` or `}`: the first one ends it (if it
      // does not, the list is invalid and the parser refuses the whole line).
      let end = line.indexOf('"', i);
      const brace = line.indexOf("}", i);
      if (end === -1 || (brace !== -1 && brace < end)) end = brace === -1 ? line.length : brace;
      const list = line.slice(i, end);
      if (list.indexOf(this.asnText) !== -1 || NOT_AN_INTEGER.test(list)) return true;
    }
    return false;
  }

  private nlriMayBeHeld(line: string): boolean {
    for (let at = line.indexOf('nlri"'); at !== -1; at = line.indexOf('nlri"', at + 5)) {
      if (line.charCodeAt(at - 1) !== 0x22) continue;
      let i = skipSpaces(line, at + 5);
      if (line.charCodeAt(i) !== 0x3a /* : */) continue; // "nlri" as a value, not a key
      i = skipSpaces(line, i + 1);
      if (line.charCodeAt(i) !== 0x22) return true; // not a string: let the parser judge
      const end = line.indexOf('"', i + 1);
      if (end === -1 || this.mayBeHeld(line.slice(i + 1, end))) return true;
    }
    return false;
  }

  /** Whether NLRI text `s` may name a held prefix, whatever way it is written. */
  private mayBeHeld(s: string): boolean {
    if (this.held.holdsPrefix(s)) return true;
    if (isDigitsDotsSlash(s)) {
      // Dotted quad: with a length it is its own canonical text (or invalid,
      // and the parser refuses the whole line); bare, it means /32.
      return s.indexOf("/") === -1 && this.held.holdsPrefix(`${s}/32`);
    }
    const p = parsePrefix(s);
    return p.ok && this.held.holdsPrefix(p.value.text);
  }
}

/**
 * Whether a string is an element of a list. The first element of a list
 * follows its `[`; a later one follows `}, ` when the elements before it are
 * objects (after a number, a list or a literal the list is not one of NLRIs,
 * and the parser refuses the line whatever its strings say).
 */
function hasStringInList(line: string): boolean {
  for (let at = line.indexOf("["); at !== -1; at = line.indexOf("[", at + 1)) {
    if (line.charCodeAt(skipSpaces(line, at + 1)) === 0x22) return true;
  }
  for (let at = line.indexOf("}"); at !== -1; at = line.indexOf("}", at + 1)) {
    let i = skipSpaces(line, at + 1);
    if (line.charCodeAt(i) !== 0x2c /* , */) continue;
    i = skipSpaces(line, i + 1);
    if (line.charCodeAt(i) !== 0x22) continue;
    const end = line.indexOf('"', i + 1);
    if (end === -1) return true;
    if (line.charCodeAt(skipSpaces(line, end + 1)) !== 0x3a) return true; // not a key: an element
  }
  return false;
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

function isDigitsDotsSlash(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x30 || c > 0x39) && c !== 0x2e && c !== 0x2f) return false;
  }
  return true;
}
