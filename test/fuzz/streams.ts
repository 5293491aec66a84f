// Valid ExaBGP streams for the listener fuzz: announces (several prefixes,
// add-path ids, MED, draining), withdraws, re-announces without our community,
// sessions going down (and ExaBGP stopping), End-of-RIB. Drawn from a small
// pool so prefixes collide across neighbors and paths, and mutated lines name
// prefixes that are held. Seeded (for the 100k corpus) and as fast-check
// arbitraries (for shrinking property tests).

import fc from "fast-check";
import { announce, eor, state, STOPPING, withdraw } from "../../packages/listener/test/exa-lines.js";
import type { Random } from "./mutate.js";

export const ASN = 12345;
export const PEERS = ["127.0.0.1", "127.0.0.2", "2001:db8::ff"] as const;
export const V4 = [...Array.from({ length: 24 }, (_, i) => `10.0.0.${i}/32`), "10.0.1.0/24", "192.0.2.0/24"];
export const V6 = [...Array.from({ length: 8 }, (_, i) => `2001:db8::${i.toString(16)}/128`), "2001:db8:1::/48"];
const OURS: [number, number][] = [
  [ASN, 443],
  [ASN, 80],
  [ASN, 8080],
  [ASN, 1],
  [ASN, 65535],
];
const OTHERS: [number, number][] = [
  [ASN, 0], // not a port
  [65000, 1],
  [12346, 443],
  [65535, 0], // draining
  [3356, 2],
];

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const some = <T>(r: Random, xs: readonly T[], max: number): T[] => Array.from({ length: Math.floor(r() * (max + 1)) }, () => pick(r, xs));

/** One valid line, seeded. */
export function validLine(r: Random): string {
  const peer = pick(r, PEERS);
  const fam = r() < 0.7 ? V4 : V6;
  const pathId = r() < 0.25 ? 1 + Math.floor(r() * 2) : undefined;
  const x = r();
  if (x < 0.45) {
    const communities = [...some(r, OURS, 2), ...some(r, OTHERS, 2)];
    return announce({
      peer,
      prefixes: [pick(r, fam), ...some(r, fam, 2)],
      communities,
      ...(r() < 0.3 ? { med: Math.floor(r() * 200) } : {}),
      ...(r() < 0.2 ? { localPref: 100 } : {}),
      ...(pathId ? { pathId } : {}),
    });
  }
  if (x < 0.6) return announce({ peer, prefixes: [pick(r, fam)], communities: some(r, OTHERS, 2), ...(pathId ? { pathId } : {}) });
  if (x < 0.85) return withdraw([pick(r, fam), ...some(r, fam, 1)], peer, pathId);
  if (x < 0.9) return state("down", peer);
  if (x < 0.92) return state("down", peer, STOPPING);
  if (x < 0.96) return state(r() < 0.5 ? "up" : "connected", peer);
  return eor(peer, fam === V4 ? "ipv4" : "ipv6");
}

// The same shapes as fast-check arbitraries: failures shrink to a short stream.
const peerArb = fc.constantFrom(...PEERS);
const famArb = fc.constantFrom(V4, V6);
const pathArb = fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined });

const announceArb = fc
  .record({
    peer: peerArb,
    fam: famArb,
    n: fc.integer({ min: 0, max: 2 }),
    picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    ours: fc.array(fc.constantFrom(...OURS), { maxLength: 2 }),
    others: fc.array(fc.constantFrom(...OTHERS), { maxLength: 2 }),
    med: fc.option(fc.nat(200), { nil: undefined }),
    pathId: pathArb,
  })
  .map(({ peer, fam, n, picks, ours, others, med, pathId }) =>
    announce({
      peer,
      prefixes: picks.slice(0, n + 1).map((i) => fam[i % fam.length]!),
      communities: [...ours, ...others],
      ...(med !== undefined ? { med } : {}),
      ...(pathId ? { pathId } : {}),
    }),
  );

const withdrawArb = fc
  .record({ peer: peerArb, fam: famArb, i: fc.nat(), pathId: pathArb })
  .map(({ peer, fam, i, pathId }) => withdraw([fam[i % fam.length]!], peer, pathId));

const sessionArb = fc
  .record({ peer: peerArb, kind: fc.constantFrom("down", "stopping", "up", "eor") })
  .map(({ peer, kind }) => (kind === "eor" ? eor(peer) : kind === "stopping" ? state("down", peer, STOPPING) : state(kind as "down" | "up", peer)));

export const validLineArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: announceArb },
  { weight: 3, arbitrary: withdrawArb },
  { weight: 1, arbitrary: sessionArb },
);
