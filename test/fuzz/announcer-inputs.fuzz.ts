// Generators of hostile announcer inputs, shared by the in-process property
// tests and the run through the real bin: PUT bodies, GoCast queries and
// Consul services, mixing valid values with what breaks parsers and command
// lines (newlines, trailing keywords, out-of-range numbers, wrong types).

import fc from "fast-check";

const HOSTILE: string[] = [
  "10.255.255.1/32",
  "2001:db8::1/128",
  "10.255.255.1/32\nannounce route 6.6.6.6/32 next-hop self",
  "10.255.255.1/32 next-hop 6.6.6.6",
  "10.255.255.1/32\r",
  "1.2.3.4/33",
  "10.0.0.1/24",
  "::/0",
  "0.0.0.0/0",
  "web",
  "web\nwithdraw route 10.255.255.1/32",
  "we b",
  "\u0000",
  "\u001b[2J",
  "é",
  "12345:443",
  "65535:0",
  "65536:1",
  "1:2:3",
  "127.0.0.1:443",
  "127.0.0.1:0",
  "http://127.0.0.1:9/",
  "http://127.0.0.1:9/\nX",
  "/tmp/x\nannounce",
  "port:tcp:443",
  "port:tcp:0",
  "port:udp:53",
  "exec:/bin/true",
  "consul",
  "tcp:127.0.0.1:9",
  "http:http://127.0.0.1:9/",
  "",
  "A".repeat(300),
  "target:65000:1",
  "origin:192.0.2.1:7",
  "target:4200000000:70000",
  "target:65000:1] med [5",
  "65000:1:2",
  "127.0.0.1",
  "::1",
  "127.0.0.1 announce route 6.6.6.6/32 next-hop self",
  "igp",
  "incomplete\nannounce",
];

export const hostileString = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HOSTILE) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });

export const hostileNumber = fc.oneof(
  fc.constantFrom(0, 1, 22, 80, 443, 65535, 65536, -1, 1.5, 2 ** 32, 2 ** 53, 1e300),
  fc.integer({ min: -10, max: 70_000 }),
);

const scalar = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));

// Valid values, mostly: inputs that pass validation must come up often, or
// only the refusals are tested (before these, no hostile PUT body and no
// GoCast query in 10,000 was ever accepted).
const validVip = fc.constantFrom("10.255.255.1/32", "10.255.255.2/32", "2001:db8::1/128", "192.0.2.0/24");
const validName = fc.constantFrom("web", "api", "a.b-c_1");
const mostly = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: hostile });
// The route attributes are many keys: each hostile less often, or hardly a body with them passes.
const rarelyHostile = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ weight: 15, arbitrary: valid }, { weight: 1, arbitrary: hostile });
const validPort = fc.integer({ min: 1, max: 65535 });
const validCheck = fc.oneof(
  fc.record({ tcp: fc.constantFrom("127.0.0.1:443", "[::1]:80") }),
  fc.record({ http: fc.constantFrom("http://127.0.0.1:8080/health", "https://[::1]/") }),
  fc.record({ file_absent: fc.constantFrom("/tmp/x", "maint") }),
);

const check = fc.oneof(
  fc.record({ tcp: fc.oneof(hostileString, hostileNumber) }),
  fc.record({ http: fc.oneof(hostileString, fc.record({ url: hostileString, status: fc.oneof(hostileNumber, fc.array(hostileNumber, { maxLength: 3 })), contains: hostileString }, { requiredKeys: ["url"] })) }),
  fc.record({ udp: fc.record({ address: hostileString, send: hostileString, expect: hostileString }, { requiredKeys: [] }) }),
  fc.record({ file_absent: hostileString }),
  fc.record({ exec: fc.record({ command: fc.oneof(hostileString, fc.array(hostileString, { maxLength: 3 })), shell: fc.boolean() }) }),
  fc.record({ consul: fc.oneof(fc.constant({}), fc.record({ service: hostileString })) }),
  fc.dictionary(hostileString, scalar, { maxKeys: 2 }),
);

/** A PUT /v1/apps/{name} body: an app-shaped object with hostile values (often valid ones), or any JSON. */
export const appBody = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        vip: mostly(validVip, hostileString),
        ports: fc.array(mostly(validPort, hostileNumber), { maxLength: 4 }),
        checks: fc.array(mostly(validCheck, check), { maxLength: 2 }),
        communities: fc.array(mostly(fc.constantFrom("65000:1", "64512:7"), hostileString), { maxLength: 2 }),
        med: mostly(fc.nat(1000), hostileNumber),
        large_communities: fc.array(rarelyHostile(fc.constantFrom("65000:1:2", "4200000000:0:7"), hostileString), { maxLength: 2 }),
        extended_communities: fc.array(rarelyHostile(fc.constantFrom("target:65000:1", "origin:65001:7", "target:64512:4294967295"), hostileString), { maxLength: 2 }),
        origin: rarelyHostile(fc.constantFrom("igp", "egp", "incomplete"), hostileString),
        as_path: fc.array(rarelyHostile(fc.integer({ min: 1, max: 2 ** 32 - 1 }), hostileNumber), { maxLength: 3 }),
        path_id: rarelyHostile(fc.nat(100), hostileNumber),
        neighbors: fc.array(rarelyHostile(fc.constantFrom("127.0.0.1", "127.0.0.2", "::1"), hostileString), { maxLength: 2 }),
        on_down: rarelyHostile(
          fc.oneof(fc.constant("withdraw"), fc.record({ med: fc.nat(2000), as_path_prepend: fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 3 }), communities: fc.constant(["65535:0"]) }, { requiredKeys: [] })),
          scalar,
        ),
      },
      { requiredKeys: ["vip"] },
    ),
  },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        name: hostileString,
        vip: hostileString,
        vips: fc.array(hostileString, { maxLength: 3 }),
        ports: fc.array(fc.oneof(hostileNumber, hostileString), { maxLength: 4 }),
        checks: fc.array(check, { maxLength: 3 }),
        communities: fc.array(hostileString, { maxLength: 3 }),
        med: fc.oneof(hostileNumber, hostileString),
        local_pref: hostileNumber,
        interval: fc.oneof(hostileString, hostileNumber),
        rise: hostileNumber,
        large_communities: fc.array(hostileString, { maxLength: 2 }),
        extended_communities: fc.array(hostileString, { maxLength: 2 }),
        origin: hostileString,
        as_path: fc.array(fc.oneof(hostileNumber, hostileString), { maxLength: 3 }),
        path_id: hostileNumber,
        neighbors: fc.array(hostileString, { maxLength: 2 }),
        on_down: fc.oneof(scalar, fc.record({ med: hostileNumber, as_path_prepend: fc.oneof(hostileNumber, fc.array(hostileNumber, { maxLength: 2 })), communities: fc.array(hostileString, { maxLength: 2 }) }, { requiredKeys: [] })),
        execute: fc.oneof(scalar, fc.array(hostileString, { maxLength: 2 })),
        bogus: scalar,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A GoCast /register query. */
export const goCastQuery = fc.record({
  name: mostly(validName.map((n) => [n]), fc.array(hostileString, { minLength: 0, maxLength: 2 })),
  vip: mostly(validVip.map((v) => [v]), fc.array(hostileString, { minLength: 0, maxLength: 2 })),
  monitor: fc.array(mostly(fc.constantFrom("port:tcp:443", "port:tcp:8080", "port:udp:53"), hostileString), { maxLength: 3 }),
  // GoCast's NAT entries reach the firewall's command line: hostile ones must never get there.
  nat: fc.array(mostly(fc.constantFrom("tcp:53:8053", "udp:53", "tcp:80:8080"), hostileString), { maxLength: 2 }),
  vip_communities: fc.array(mostly(fc.constantFrom("65000:7", "65000:7,65000:8"), hostileString), { maxLength: 1 }),
  extra: fc.array(fc.tuple(hostileString, hostileString), { maxLength: 1 }),
});

export function toSearchParams(q: { name: string[]; vip: string[]; monitor: string[]; nat?: string[]; vip_communities?: string[]; extra: [string, string][] }): URLSearchParams {
  const p = new URLSearchParams();
  for (const n of q.name) p.append("name", n);
  for (const v of q.vip) p.append("vip", v);
  for (const m of q.monitor) p.append("monitor", m);
  for (const m of q.nat ?? []) p.append("nat", m);
  for (const m of q.vip_communities ?? []) p.append("vip_communities", m);
  for (const [k, v] of q.extra) p.append(k, v);
  return p;
}

const tag = fc.oneof(
  fc.constantFrom("exacast", "enable_gocast", "other"),
  validVip.map((v) => `exacast_vip=${v}`),
  validPort.map((p) => `exacast_port=${p}`),
  hostileString.map((v) => `exacast_vip=${v}`),
  hostileString.map((v) => `gocast_vip=${v}`),
  fc.oneof(hostileString, hostileNumber.map(String)).map((v) => `exacast_port=${v}`),
  hostileString.map((v) => `exacast_check=${v}`),
  hostileString.map((v) => `gocast_monitor=${v}`),
  hostileString.map((v) => `gocast_nat=${v}`),
  hostileString.map((v) => `gocast_vip_communities=${v}`),
  fc.constantFrom("gocast_nat=tcp:53:8053", "gocast_vip_communities=65000:9"),
  hostileString.map((v) => `exacast_${v}`),
  hostileString,
);

/** A Consul agent service: id, name, tags, port. */
export const consulService = fc.record({
  id: hostileString,
  name: hostileString,
  // The discovery tag and a valid VIP first, often: a service must come through to test what follows.
  tags: fc.tuple(fc.boolean(), validVip, fc.array(tag, { maxLength: 5 })).map(([ours, vip, rest]) => (ours ? ["exacast", `exacast_vip=${vip}`, ...rest] : rest)),
  port: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 65535 })),
});
