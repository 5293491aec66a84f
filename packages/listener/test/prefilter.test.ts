// The prefilter may skip a line only when parsing it could not change the RIB.
// Property: on generated streams — held prefixes re-announced without our
// community, withdrawn, written in every form the parser accepts — a RIB fed
// through the prefilter equals a RIB that parsed every line, after every line.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ingest } from "../src/ingest.js";
import { Prefilter } from "../src/prefilter.js";
import { Rib } from "../src/rib.js";
import { announce, eor, state, withdraw } from "./exa-lines.js";

const ASN = 12345;

function dump(rib: Rib): string {
  return [...rib.routes()]
    .map((r) => `${r.neighbor} ${r.prefix.text}#${r.pathId} ${r.nexthop} ${r.med} ${r.localPref} ${r.communities.map((c) => c.join(":")).join(",")}`)
    .sort()
    .join("\n");
}

// Prefixes and the other ways the parser accepts to write them.
const POOL: [canonical: string, ...variants: string[]][] = [
  ["10.0.0.1/32", "10.0.0.1"],
  ["10.0.0.2/32"],
  ["10.1.0.0/16"],
  ["192.0.2.0/24"],
  ["2001:db8::1/128", "2001:DB8::1/128", "2001:db8:0:0:0:0:0:1/128", "2001:db8::1"],
  ["2001:db8:1::/48", "2001:0db8:0001::/48"],
];

const text = fc.constantFrom(...POOL).chain((forms) => fc.constantFrom(...forms));
const peer = fc.constantFrom("127.0.0.1", "127.0.0.9");
const community = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<[number, number]>([ASN, 443], [ASN, 80], [ASN, 8080]) },
  { weight: 3, arbitrary: fc.constantFrom<[number, number]>([65000, 1], [3356, 2], [174, 21000], [65535, 0], [ASN, 0]) },
);

type Fam = "ipv4 unicast" | "ipv6 unicast";
const famOf = (p: string): Fam => (p.includes(":") ? "ipv6 unicast" : "ipv4 unicast");

/** One update with hand-made formatting: the forms ExaBGP writes and the others JSON allows. */
const oddUpdate = fc
  .record({
    peer,
    ann: fc.array(text, { maxLength: 3 }),
    wd: fc.array(text, { maxLength: 3 }),
    comms: fc.array(community, { maxLength: 3 }),
    pathId: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    style: fc.constantFrom("object", "string", "mixed", "tight", "escaped", "exponent", "fraction"),
    // Our ASN's digits where they do not make a community: the prefilter must still be right.
    decoy: fc.constantFrom("", `, "med": ${ASN}`, `, "as-path": [ ${ASN} ]`, `, "large-community": [ [ ${ASN}, 443, 1 ] ]`, `, "originator-id": "${ASN}"`),
    // JSON's keys have no order: the attributes may follow the NLRIs.
    attributesLast: fc.boolean(),
  })
  .map(({ peer, ann, wd, comms, pathId, style, decoy, attributesLast }) => {
    const entry = (p: string, i: number) => {
      if (style === "string" || (style === "mixed" && i > 0)) return `"${p}"`;
      const val = style === "escaped" ? p.replace("/", "\\u002f") : p;
      const pi = pathId === undefined ? "" : `, "path-information": "0.0.0.${pathId}"`;
      return style === "tight" ? `{"nlri":"${val}"${pi}}` : `{ "nlri": "${val}"${pi} }`;
    };
    const num = (n: number) => (n !== ASN ? String(n) : style === "exponent" ? "1.2345e4" : style === "fraction" ? `${ASN}.0` : String(n));
    const community = !comms.length
      ? ""
      : style === "tight"
        ? `,"community":[${comms.map(([a, b]) => `[${num(a)},${b}]`).join(",")}]`
        : `, "community": [ ${comms.map(([a, b]) => `[ ${num(a)}, ${b} ]`).join(", ")} ]`;
    const byFam = (ps: string[], f: Fam) => ps.filter((p) => famOf(p) === f);
    const parts: string[] = [];
    const wds = (["ipv4 unicast", "ipv6 unicast"] as Fam[]).filter((f) => byFam(wd, f).length).map((f) => `"${f}": [ ${byFam(wd, f).map(entry).join(", ")} ]`);
    if (wds.length) parts.push(`"withdraw": { ${wds.join(", ")} }`);
    const anns = (["ipv4 unicast", "ipv6 unicast"] as Fam[])
      .filter((f) => byFam(ann, f).length)
      .map((f) => `"${f}": { "${f === "ipv4 unicast" ? "192.0.2.2" : "2001:db8::2"}": [ ${byFam(ann, f).map(entry).join(", ")} ] }`);
    if (anns.length) parts.push(`"announce": { ${anns.join(", ")} }`);
    const attribute = `"attribute": { "origin": "igp"${decoy}${community} }`;
    const update = attributesLast ? [...parts, attribute] : [attribute, ...parts];
    return (
      `{ "exabgp": "4.0.1", "time": 1795327079.1, "host" : "lb1", "pid" : 4549, "ppid" : 1, "counter": 7, "type": "update", ` +
      `"neighbor": { "address": { "local": "127.0.0.3", "peer": "${peer}" }, "asn": { "local": 65001, "peer": 64999 } , ` +
      `"direction": "receive", "message": { "update": { ${update.join(", ")} } } } }`
    );
  });

const canonical = fc.constantFrom(...POOL.map((p) => p[0]));
const line = fc.oneof(
  { weight: 4, arbitrary: fc.record({ peer, p: canonical, comms: fc.array(community, { maxLength: 3 }), med: fc.option(fc.nat(3), { nil: undefined }), pathId: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }) })
    .map(({ peer, p, comms, med, pathId }) => announce({ peer, prefixes: [p], communities: comms, med, ...(pathId ? { pathId } : {}) })) },
  { weight: 2, arbitrary: fc.record({ peer, p: canonical }).map(({ peer, p }) => withdraw([p], peer)) },
  { weight: 4, arbitrary: oddUpdate },
  { weight: 1, arbitrary: fc.record({ peer, st: fc.constantFrom("up" as const, "down" as const) }).map(({ peer, st }) => state(st, peer)) },
  { weight: 1, arbitrary: fc.constantFrom("not json", "{}", '{ "type": "update" }', "[1,2]", '{ "exabgp": "4.0.1", "type": "update", "neighbor": {} }') },
);

/** Feeds both RIBs; they must be equal after every line. Returns the RIB after each line. */
function run(lines: string[]): string[] {
  const filtered = new Rib({ communityAsn: ASN, maxRoutes: 1000 });
  const full = new Rib({ communityAsn: ASN, maxRoutes: 1000 });
  const a = new Ingest(filtered, { staleGraceMs: 0 });
  const b = new Ingest(full, { staleGraceMs: 0, parseAll: true });
  return lines.map((l, i) => {
    a.line(l, i + 1);
    b.line(l, i + 1);
    expect(dump(filtered), `after line ${i + 1}: ${l}`).toBe(dump(full));
    return dump(full);
  });
}

describe("prefilter", () => {
  it("property: prefilter + parse holds exactly what parsing every line holds", () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 40 }), (lines) => void run(lines)),
      { numRuns: 1000 },
    );
  });

  it("a held prefix re-announced without our community still removes it", () => {
    // Both RIBs must agree, and agree on the right thing: held, then gone
    // (a RIB that ignored the second line in both paths would agree too).
    const after = run([
      announce({ prefixes: ["10.0.0.1/32"], communities: [[ASN, 443]] }),
      announce({ prefixes: ["10.0.0.1/32"], communities: [[65000, 1]] }),
    ]);
    expect(after[0]).toMatch(/^127\.0\.0\.1 10\.0\.0\.1\/32#0 .* 12345:443$/);
    expect(after[1]).toBe("");
  });

  const held = { holdsPrefix: (t: string) => t === "10.0.0.1/32" || t === "2001:db8::1/128", heldPrefixCount: 2 };
  const pf = new Prefilter(ASN, held);

  it("skips a full table's routes, parses what may matter", () => {
    expect(pf.mayMatter(announce({ prefixes: ["1.2.3.0/24"], communities: [[3356, 2]] }))).toBe(false);
    expect(pf.mayMatter(withdraw(["1.2.3.0/24"]))).toBe(false);
    expect(pf.mayMatter(announce({ prefixes: ["1.2.3.0/24"], communities: [[ASN, 443]] }))).toBe(true);
    expect(pf.mayMatter(announce({ prefixes: ["10.0.0.1/32"], communities: [[3356, 2]] }))).toBe(true);
    expect(pf.mayMatter(withdraw(["1.2.3.0/24", "10.0.0.1/32"]))).toBe(true);
    expect(pf.mayMatter(withdraw(["10.0.0.1"]))).toBe(true);
    expect(pf.mayMatter(withdraw(["2001:DB8::1/128"]))).toBe(true);
    expect(pf.mayMatter(state("down"))).toBe(true);
    expect(pf.mayMatter(eor())).toBe(true);
    expect(pf.mayMatter("garbage")).toBe(true);
    expect(pf.mayMatter('{ "exabgp": "4.0.1", "type": "notification", "notification": "shutdown" }')).toBe(true);
  });

  it("parses lines whose strings it cannot read literally, and reads NLRIs written as bare strings", () => {
    const escaped = withdraw(["1.2.3.0/24"]).replace("1.2.3.0/24", "1.2.3.0\\u002f24");
    expect(pf.mayMatter(escaped)).toBe(true);
    const bare = (p: string) => withdraw([p]).replace(`{ "nlri": "${p}" }`, `"${p}"`);
    expect(pf.mayMatter(bare("10.0.0.1/32"))).toBe(true);
    expect(pf.mayMatter(bare("10.0.0.1"))).toBe(true);
    expect(pf.mayMatter(bare("2001:DB8::1/128"))).toBe(true);
    expect(pf.mayMatter(bare("1.2.3.0/24"))).toBe(false);
    const exponent = announce({ prefixes: ["1.2.3.0/24"], communities: [[1, 443]] }).replace("[ 1, 443 ]", "[ 1.2345e4, 443 ]");
    expect(pf.mayMatter(exponent)).toBe(true);
  });

  it("finds session events and our community after the NLRIs too (JSON's keys have no order)", () => {
    const route = announce({ prefixes: ["1.2.3.0/24"], communities: [[3356, 2]] });
    expect(pf.mayMatter(route)).toBe(false);
    const stateLast = route.replace('"type": "update", ', "").replace(/ }$/, ', "type": "state" }');
    expect(pf.mayMatter(stateLast)).toBe(true);
    const eorLast = route.replace(/ } } } }$/, ' }, "eor": { "afi": "ipv4", "safi": "unicast" } } } }');
    expect(pf.mayMatter(eorLast)).toBe(true);
  });

  it("skips everything but session events and our community while nothing is held", () => {
    const none = new Prefilter(ASN, { holdsPrefix: () => false, heldPrefixCount: 0 });
    expect(none.mayMatter(withdraw(["10.0.0.1/32"]))).toBe(false);
    expect(none.mayMatter(state("up"))).toBe(true);
  });
});
