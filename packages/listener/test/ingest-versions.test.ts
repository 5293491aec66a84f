// Every ExaBGP's session, as the listener reads it: the captures of 4.2, 5.0
// and 6 (API v6 and v4) through GoBGP, FRR and BIRD give the same services,
// empty them when the router restarts, and keep them when the listener's own
// ExaBGP stops, whatever words (or silence) that ExaBGP stops with.

import { describe, expect, it } from "vitest";
import bird42 from "../../../test/fixtures/exabgp-4.2-bird-rs.ndjson?raw";
import tor42 from "../../../test/fixtures/exabgp-4.2-frr-tor.ndjson?raw";
import bird50 from "../../../test/fixtures/exabgp-5.0-bird-rs.ndjson?raw";
import tor50 from "../../../test/fixtures/exabgp-5.0-frr-tor.ndjson?raw";
import gobgp50 from "../../../test/fixtures/exabgp-5.0-gobgp.ndjson?raw";
import gobgpMain4 from "../../../test/fixtures/exabgp-main-api4-gobgp.ndjson?raw";
import torMain6 from "../../../test/fixtures/exabgp-main-api6-frr-tor.ndjson?raw";
import gobgpMain6 from "../../../test/fixtures/exabgp-main-api6-gobgp.ndjson?raw";
import type { IngestHooks } from "../src/ingest.js";
import { Ingest } from "../src/ingest.js";
import { Rib } from "../src/rib.js";
import { announce, SHUTDOWN, state, servicesOf } from "./exa-lines.js";

// Imported as text by the test runner (unit tests read no files).
const TEXT: Record<string, string> = {
  "exabgp-4.2-bird-rs.ndjson": bird42,
  "exabgp-4.2-frr-tor.ndjson": tor42,
  "exabgp-5.0-bird-rs.ndjson": bird50,
  "exabgp-5.0-frr-tor.ndjson": tor50,
  "exabgp-5.0-gobgp.ndjson": gobgp50,
  "exabgp-main-api4-gobgp.ndjson": gobgpMain4,
  "exabgp-main-api6-frr-tor.ndjson": torMain6,
  "exabgp-main-api6-gobgp.ndjson": gobgpMain6,
};
const CAPTURES = Object.keys(TEXT);
const fixture = (name: string) => TEXT[name]!.split("\n").filter(Boolean);

function reader(parseAll = false, hooks: IngestHooks = {}) {
  const rib = new Rib({ communityAsn: 12345, maxRoutes: 1000 });
  const ingest = new Ingest(rib, { staleGraceMs: 0, parseAll, now: () => 0 }, hooks);
  let n = 0;
  const feed = (...lines: string[]) => lines.forEach((l) => ingest.line(l, ++n));
  return { rib, ingest, feed };
}

const AFTER_RESTART = { 443: ["10.255.255.1/32"], 8080: ["10.255.255.3/32"] };

describe.each([
  ["prefiltered", false],
  ["parsing every line", true],
])("captures of every version (%s)", (_how, parseAll) => {
  it.each(CAPTURES)("%s: a router restart empties the map, ExaBGP stopping keeps it", (name) => {
    const lines = fixture(name);
    const stale: { neighbor: string; stopping: boolean }[] = [];
    const { rib, ingest, feed } = reader(parseAll, { staleStarted: (neighbor, stopping) => stale.push({ neighbor, stopping }) });
    const maps: Record<string, string[]>[] = [];
    for (const l of lines) {
      feed(l);
      maps.push(servicesOf(rib));
    }
    // Between the announces and the restart, the map was full; the restart's `down` emptied it.
    expect(maps.some((m) => m[443]?.includes("10.255.255.1/32"))).toBe(true);
    const restartDown = lines.findIndex((l) => l.includes('"down"'));
    expect(maps[restartDown]).toEqual({});
    // The routes came back, and stopping the listener's ExaBGP left them there.
    expect(maps.at(-1)).toEqual(AFTER_RESTART);
    expect(stale.every((s) => s.stopping)).toBe(true);
    if (!name.startsWith("exabgp-main")) expect(stale).toHaveLength(1);
    expect(ingest.stats.rejected).toEqual({ too_long: 0, not_json: 0, not_exabgp: 0 });
    expect(ingest.notes.unread).toBe(0);
  });
});

describe("ExaBGP stopping, read from the words of each version or from `shutdown`", () => {
  const held = (feedStop: (feed: (...l: string[]) => void) => void) => {
    const { rib, feed } = reader();
    feed(state("up"), announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    feedStop(feed);
    return servicesOf(rib);
  };

  it.each([
    ["4.2", "stop, message (shutting down)"],
    ["5.0 and 6", "stop, message [shutting down]"],
  ])("%s: `%s` keeps the routes", (_v, reason) => {
    expect(held((feed) => feed(state("down", "127.0.0.1", reason), SHUTDOWN))).toEqual({ 443: ["10.0.0.1/32"] });
  });

  it("a down after `shutdown` is ExaBGP stopping, whatever its reason says", () => {
    expect(held((feed) => feed(SHUTDOWN, state("down", "127.0.0.1", "some wording of a future ExaBGP")))).toEqual({ 443: ["10.0.0.1/32"] });
  });

  it("once a session comes up again, a down is a lost session again", () => {
    expect(held((feed) => feed(SHUTDOWN, state("up"), state("down", "127.0.0.1", "notification received (6,3)")))).toEqual({});
  });

  it("ExaBGP 6 stopping in silence: nothing changes", () => {
    expect(held(() => {})).toEqual({ 443: ["10.0.0.1/32"] });
  });

  it.each([["notification received (6,3)"], ["stop, message [removed]"], ["closing connection"]])("`%s` before any shutdown is a lost session: the routes go", (reason) => {
    expect(held((feed) => feed(state("down", "127.0.0.1", reason)))).toEqual({});
  });
});

describe("what is not understood is reported once, with its path, and the rest is kept", () => {
  const withAsPath = (asPath: string) =>
    announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }).replace('"as-path": [ 65000 ]', `"as-path": ${asPath}`);

  it("an AS path in a shape no ExaBGP writes: the route is held, the path reported once", () => {
    const unread: string[] = [];
    const { rib, ingest, feed } = reader(false, { unread: (path, reason) => unread.push(`${path}: ${reason}`) });
    feed(withAsPath('"65000"'), withAsPath('"65000"'), withAsPath('{"0": {"element": "as-sequence", "value": [65000]}}'));
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.1/32"] });
    expect(unread).toEqual(["neighbor.message.update.attribute.as-path: expected a list of AS numbers or an object of segments"]);
    expect(ingest.notes.unread).toBe(2);
  });

  it("a family not held and a message type not used are reported once each", () => {
    const unread: string[] = [];
    const ignored: string[] = [];
    const { ingest, feed } = reader(true, { unread: (path) => unread.push(path), ignored: (type, reason) => ignored.push(`${type} ${reason}`) });
    const flow = announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }).replace('"ipv4 unicast"', '"ipv4 flow"');
    const keepalive = state("up").replace('"type": "state"', '"type": "keepalive"');
    feed(flow, flow, keepalive, keepalive);
    expect(unread).toEqual(['neighbor.message.update.announce["ipv4 flow"]']);
    expect(ignored).toEqual(["keepalive message type not used"]);
    expect(ingest.notes).toEqual({ unread: 2, ignored: 2 });
  });
});
