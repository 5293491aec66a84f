// Generates ExaBGP 4.2-shaped JSON lines (format "4.0.1") for benchmarks: a
// full table's worth of ordinary routes with a sprinkling of service routes.

const HEAD = (counter, type) =>
  `{ "exabgp": "4.0.1", "time": ${(1795327079 + counter / 1000).toFixed(4)}, "host" : "lb1", "pid" : 4549, "ppid" : 1, "counter": ${counter}, "type": "${type}", `;
const NEIGHBOR = (peer) => `"neighbor": { "address": { "local": "127.0.0.3", "peer": "${peer}" }, "asn": { "local": 65001, "peer": 64999 } , `;

/** Deterministic PRNG (mulberry32) so every run measures the same stream. */
export function rng(seed = 1) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function ipv4Prefix(i) {
  // Spread over 1.0.0.0–223.255.255.0 as /24s, like a full table.
  const n = 0x01000000 + ((i * 2654435761) % 0xde000000) - (((i * 2654435761) % 0xde000000) % 256);
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.0/24`;
}

/** One update announcing `prefix` (or every one of `prefixes`: ExaBGP packs an UPDATE's NLRIs in one line). */
export function announceLine(counter, { peer = "127.0.0.1", prefix, prefixes = [prefix], nexthop = "192.0.2.2", communities = [], largeCommunities = [], asPath = [64999, 65000, 3356, 174], med }) {
  const comm = communities.length ? `, "community": [ ${communities.map(([a, b]) => `[ ${a}, ${b} ]`).join(", ")} ]` : "";
  const large = largeCommunities.length ? `, "large-community": [ ${largeCommunities.map((c) => `[ ${c.join(", ")} ]`).join(", ")} ]` : "";
  const medAttr = med !== undefined ? `, "med": ${med}` : "";
  const fam = prefixes[0].includes(":") ? "ipv6 unicast" : "ipv4 unicast";
  return (
    HEAD(counter, "update") +
    NEIGHBOR(peer) +
    `"direction": "receive", "message": { "update": { "attribute": { "origin": "igp", "as-path": [ ${asPath.join(", ")} ], "confederation-path": []${medAttr}${comm}${large} }, ` +
    `"announce": { "${fam}": { "${nexthop}": [ ${prefixes.map((p) => `{ "nlri": "${p}" }`).join(", ")} ] } } } } } }`
  );
}

export function withdrawLine(counter, { peer = "127.0.0.1", prefix, prefixes = [prefix] }) {
  const fam = prefixes[0].includes(":") ? "ipv6 unicast" : "ipv4 unicast";
  return HEAD(counter, "update") + NEIGHBOR(peer) + `"direction": "receive", "message": { "update": { "withdraw": { "${fam}": [ ${prefixes.map((p) => `{ "nlri": "${p}" }`).join(", ")} ] } } } } }`;
}

export function stateLine(counter, { peer = "127.0.0.1", state }) {
  return HEAD(counter, "state") + NEIGHBOR(peer).replace(/, $/, "") + ` , "state": "${state}" } }`;
}

/**
 * The issue's stream: `total` lines; 1% service routes (12345:<port>), the rest
 * ordinary routes with other communities; the last tenth withdraws a tenth of
 * what was announced (service routes included).
 */
export function ingestStream(total = 300_000, { asn = 12345, ports = 50 } = {}) {
  const random = rng(42);
  const lines = [stateLine(1, { state: "connected" }), stateLine(2, { state: "up" })];
  const announces = Math.floor((total - 2) / 1.1);
  const announced = [];
  for (let i = 0; i < announces; i++) {
    const service = i % 100 === 0;
    const prefix = service ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32` : ipv4Prefix(i);
    const communities = service
      ? [[asn, 80 + (i % ports)], [65000, 1]]
      : [[3356, 2], [174, 21000 + Math.floor(random() * 100)]];
    lines.push(announceLine(lines.length + 1, { prefix, communities, med: service ? 10 : undefined }));
    announced.push(prefix);
  }
  while (lines.length < total) {
    const prefix = announced[Math.floor(random() * announced.length)];
    lines.push(withdrawLine(lines.length + 1, { prefix }));
  }
  return lines;
}

/**
 * A varied stream for the ingest benchmark: `bytes` of ExaBGP lines from a
 * seeded generator. Each announce carries `nlris` prefixes (1 to many: line
 * length), an as-path of `asPath` hops and `communities` other communities;
 * `serviceShare` of the announced prefixes carry 12345:<port>; `withdrawShare`
 * of the lines withdraw earlier prefixes (services included), interleaved.
 */
export function variedStream({ bytes, seed, serviceShare, withdrawShare, nlris, asPath, communities, asn = 12345 }) {
  const random = rng(seed);
  const int = (n) => Math.floor(random() * n);
  const lines = [stateLine(1, { state: "connected" }), stateLine(2, { state: "up" })];
  const announced = [];
  let size = 0;
  let next = int(1 << 20);
  while (size < bytes) {
    let line;
    if (announced.length > 0 && random() < withdrawShare) {
      const prefixes = Array.from({ length: 1 + int(nlris) }, () => announced[int(announced.length)]);
      line = withdrawLine(lines.length + 1, { prefixes });
    } else {
      const service = random() < serviceShare;
      const prefixes = Array.from({ length: service ? 1 : 1 + int(nlris) }, () => {
        const i = next++;
        return service ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32` : ipv4Prefix(i);
      });
      const others = Array.from({ length: communities }, () => [1 + int(65000), int(65536)].map((n) => (n === asn ? n + 1 : n)));
      const path = [64999, ...Array.from({ length: asPath }, () => 1 + int(400000))];
      line = announceLine(lines.length + 1, {
        prefixes,
        communities: service ? [[asn, 80 + int(50)], ...others] : others,
        asPath: path,
        med: int(3) === 0 ? int(1000) : undefined,
      });
      announced.push(...prefixes);
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines;
}
