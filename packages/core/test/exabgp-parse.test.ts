import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ExaEvent } from "../src/exabgp-parse.js";
import { parseLine, parseMessage } from "../src/exabgp-parse.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), "utf8").split("\n").filter(Boolean);

/** A compact view of events for assertions. */
function brief(e: ExaEvent): string {
  switch (e.kind) {
    case "state":
      return `state ${e.neighbor} ${e.state}${e.reason ? " (reason)" : ""}`;
    case "announce":
      return `announce ${e.neighbor} ${e.family} ${e.prefix.text} nh ${e.nexthop} path ${e.pathId} comm ${e.attrs.communities
        .map((c) => c.join(":"))
        .join(",")}${e.attrs.med !== undefined ? ` med ${e.attrs.med}` : ""}`;
    case "withdraw":
      return `withdraw ${e.neighbor} ${e.family} ${e.prefix.text} path ${e.pathId}`;
    case "eor":
      return `eor ${e.neighbor} ${e.family}`;
    case "notification":
      return `notification ${e.neighbor} ${e.direction} ${e.code}/${e.subcode}`;
    case "shutdown":
      return "shutdown";
    case "ignored":
      return `ignored ${e.type}`;
    case "unread":
      return `unread ${e.path}`;
  }
}

function events(line: string): string[] {
  const r = parseLine(line);
  if (!r.ok) throw new Error(r.error);
  return r.value.map(brief);
}

describe("parseLine on the route-server fixture", () => {
  const lines = fixture("exabgp-4.2-route-server-session.ndjson");
  const expected: Record<number, string[]> = {
    1: ["state 127.0.0.1 connected"],
    2: ["state 127.0.0.1 up"],
    3: ["announce 127.0.0.1 ipv4 unicast 10.255.255.1/32 nh 192.0.2.2 path 0 comm 12345:443,12345:80,65000:1"],
    4: ["announce 127.0.0.1 ipv4 unicast 10.255.255.2/32 nh 192.0.2.2 path 0 comm 12345:443 med 100"],
    5: ["announce 127.0.0.1 ipv6 unicast 2001:db8::123/128 nh 2001:db8::2 path 0 comm 12345:443"],
    6: ["announce 127.0.0.1 ipv4 unicast 198.51.100.0/24 nh 192.0.2.2 path 0 comm "],
    7: ["announce 127.0.0.1 ipv4 unicast 10.255.255.3/32 nh 192.0.2.2 path 0 comm 12345:8080"],
    8: ["announce 127.0.0.1 ipv4 unicast 10.255.255.4/32 nh 192.0.2.2 path 0 comm 12345:8080"],
    9: ["withdraw 127.0.0.1 ipv4 unicast 10.255.255.2/32 path 0"],
    10: ["announce 127.0.0.1 ipv4 unicast 10.255.255.1/32 nh 192.0.2.2 path 0 comm 12345:443"],
    11: ["withdraw 127.0.0.1 ipv6 unicast 2001:db8::123/128 path 0"],
    12: ["withdraw 127.0.0.1 ipv4 unicast 198.51.100.0/24 path 0"],
    13: ["notification 127.0.0.1 receive 6/3"],
    14: ["state 127.0.0.1 down (reason)"],
    15: ["state 127.0.0.1 connected"],
    16: ["state 127.0.0.1 down (reason)"],
    23: ["shutdown"],
  };

  it("has the 23 lines its README describes", () => {
    expect(lines).toHaveLength(23);
  });

  it.each(Object.entries(expected))("line %s", (n, want) => {
    expect(events(lines[Number(n) - 1]!)).toEqual(want);
  });

  it("parses every line without error, reconnect attempts included", () => {
    for (const [i, line] of lines.entries()) {
      const r = parseLine(line);
      expect(r.ok, `line ${i + 1}`).toBe(true);
    }
    expect(events(lines[16]!)).toEqual(["state 127.0.0.1 connected"]);
  });

  it("keeps the down reason", () => {
    const r = parseLine(lines[13]!);
    expect(r.ok && r.value[0]).toMatchObject({ reason: expect.stringContaining("Cease") });
  });
});

describe("parseLine on the add-path capture", () => {
  const lines = fixture("exabgp-4.2-addpath-eor.ndjson");
  it("reads End-of-RIB and path ids", () => {
    expect(events(lines[2]!)).toEqual(["eor 127.0.0.2 ipv4 unicast"]);
    expect(events(lines[3]!)).toEqual(["eor 127.0.0.2 ipv6 unicast"]);
    expect(events(lines[4]!)).toEqual(["announce 127.0.0.2 ipv4 unicast 10.255.255.1/32 nh 192.0.2.2 path 1 comm 12345:443"]);
    expect(events(lines[5]!)).toEqual(["announce 127.0.0.2 ipv4 unicast 10.255.255.1/32 nh 192.0.2.3 path 2 comm 12345:443,12345:80"]);
    expect(events(lines[6]!)).toEqual(["announce 127.0.0.2 ipv6 unicast 2001:db8::1/128 nh 2001:db8::2 path 1 comm 12345:443"]);
    expect(events(lines[7]!)).toEqual(["withdraw 127.0.0.2 ipv4 unicast 10.255.255.1/32 path 1"]);
    expect(events(lines[8]!)).toEqual(["state 127.0.0.2 down (reason)"]);
  });
});

const envelope = (over: Record<string, unknown>) => ({
  exabgp: "4.0.1",
  time: 1,
  type: "update",
  neighbor: {
    address: { local: "127.0.0.3", peer: "127.0.0.1" },
    asn: { local: 65001, peer: 64999 },
    direction: "receive",
    message: {},
  },
  ...over,
});
const update = (u: unknown) => envelope({ neighbor: { ...envelope({}).neighbor, message: { update: u } } });

describe("parseMessage shapes ExaBGP also writes", () => {
  it("several prefixes and next-hops in one update, withdraws first", () => {
    const r = parseMessage(
      update({
        attribute: { community: [[12345, 443]], "large-community": [[1, 2, 3]], "extended-community": [{ value: 1, string: "target:1:1" }], "local-preference": 50 },
        announce: { "ipv4 unicast": { "192.0.2.2": [{ nlri: "10.0.0.1/32" }, "10.0.0.2/32"], "192.0.2.3": [{ nlri: "10.0.0.3/32" }] } },
        withdraw: { "ipv4 unicast": [{ nlri: "10.0.0.9/32" }] },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map(brief)).toEqual([
      "withdraw 127.0.0.1 ipv4 unicast 10.0.0.9/32 path 0",
      "announce 127.0.0.1 ipv4 unicast 10.0.0.1/32 nh 192.0.2.2 path 0 comm 12345:443",
      "announce 127.0.0.1 ipv4 unicast 10.0.0.2/32 nh 192.0.2.2 path 0 comm 12345:443",
      "announce 127.0.0.1 ipv4 unicast 10.0.0.3/32 nh 192.0.2.3 path 0 comm 12345:443",
    ]);
    const a = r.value[1]!;
    expect(a.kind === "announce" && a.attrs).toMatchObject({ largeCommunities: [[1, 2, 3]], extendedCommunities: ["target:1:1"], localPref: 50 });
  });

  it("ignores other families, sent updates and unknown message types", () => {
    const flow = parseMessage(update({ announce: { "ipv4 flow": { "no-nexthop": [{ "destination-ipv4": ["10.0.0.1/32"] }] } } }));
    expect(flow).toEqual({ ok: true, value: [{ kind: "unread", path: 'neighbor.message.update.announce["ipv4 flow"]', reason: expect.stringContaining("family not read") }] });
    const sent = parseMessage(envelope({ neighbor: { ...envelope({}).neighbor, direction: "send", message: { update: {} } } }));
    expect(sent.ok && sent.value[0]).toMatchObject({ kind: "ignored" });
    expect(parseMessage(envelope({ type: "keepalive" }))).toMatchObject({ ok: true, value: [{ kind: "ignored", type: "keepalive" }] });
    expect(parseMessage({ ...envelope({ type: "update" }), extra: { deep: [1, 2] }, host: "x" }).ok).toBe(true);
  });
});

describe("junk gives error values, never exceptions", () => {
  const good = JSON.stringify(update({ attribute: { community: [[12345, 443]] }, announce: { "ipv4 unicast": { "192.0.2.2": [{ nlri: "10.0.0.1/32" }] } } }));
  const cases: Record<string, string> = {
    "not JSON": "hello",
    "truncated JSON": good.slice(0, 80),
    "a JSON number": "42",
    "JSON null": "null",
    "an array": "[1,2,3]",
    "no exabgp key": JSON.stringify({ type: "update" }),
    "update without neighbor": JSON.stringify({ exabgp: "4.0.1", type: "update" }),
    "peer not an address": good.replace('"peer":"127.0.0.1"', '"peer":"peer-one"'),
    "prefix /33": good.replace("10.0.0.1/32", "1.2.3.4/33"),
    "prefix with newline": good.replace("10.0.0.1/32", "10.0.0.1/32\\nannounce route 6.6.6.6/32"),
    "prefix with trailing words": good.replace("10.0.0.1/32", "10.0.0.1/32 next-hop 6.6.6.6"),
    "IPv6 prefix in ipv4 unicast": good.replace("10.0.0.1/32", "2001:db8::1/128"),
    "next-hop not an address": good.replace('"192.0.2.2"', '"self"'),
    "community not a pair": good.replace("[[12345,443]]", "[[12345]]"),
    "community out of range": good.replace("[[12345,443]]", "[[12345,70000]]"),
    "community as strings": good.replace("[[12345,443]]", '[["12345","443"]]'),
    "med negative": good.replace('"attribute":{', '"attribute":{"med":-1,'),
    "announce not an object": good.replace(/"announce":\{.*\}\}\}/, '"announce":7}}'),
    "bad path id": good.replace('{"nlri":"10.0.0.1/32"}', '{"nlri":"10.0.0.1/32","path-information":"x.y"}'),
    "state without state": JSON.stringify({ exabgp: "4.0.1", type: "state", neighbor: { address: { local: "1.1.1.1", peer: "2.2.2.2" } } }),
    "notification without code": JSON.stringify({ exabgp: "4.0.1", type: "notification", neighbor: { address: { local: "1.1.1.1", peer: "2.2.2.2" }, notification: {} } }),
    "1 MB line": JSON.stringify({ exabgp: "4.0.1", type: "update", pad: "x".repeat(1 << 20) }),
  };
  it.each(Object.entries(cases))("%s", (_name, line) => {
    let r: ReturnType<typeof parseLine> | undefined;
    expect(() => (r = parseLine(line))).not.toThrow();
    expect(r!.ok).toBe(false);
    if (!r!.ok) expect(r!.error.length).toBeGreaterThan(0);
  });

  it("deeply nested JSON", () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    expect(parseLine(deep).ok).toBe(false);
  });

  it("the control line is valid", () => {
    expect(parseLine(good).ok).toBe(true);
  });
});
