// The same session told by every ExaBGP: captures of 4.2, 5.0 and 6 (main,
// API v6 and API v4) through GoBGP, FRR (route server and eBGP ToR) and BIRD
// read to the same routes, the same services and the same session events.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ExaEvent } from "../src/exabgp-parse.js";
import { isExabgpStopping, parseLine, parseMessage } from "../src/exabgp-parse.js";

const dir = new URL("../../../test/fixtures/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, dir), "utf8").split("\n").filter(Boolean);

/** The captures made by scripts/capture-exabgp.mjs: one script, every version and router. */
const CAPTURES = readdirSync(dir).filter((f) => /^exabgp-(4\.2|5\.0|main-api[46])-(gobgp|frr-rs|frr-tor|bird-rs)\.ndjson$/.test(f));

function events(line: string): ExaEvent[] {
  const r = parseLine(line);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** What the capture script's steps leave visible, without addresses that change per run. */
function story(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    for (const e of events(line)) {
      if (e.kind === "announce") out.push(`+ ${e.prefix.text} ${e.attrs.communities.map((c) => c.join(":")).join(",")}${e.attrs.med ? ` med ${e.attrs.med}` : ""}`);
      else if (e.kind === "withdraw") out.push(`- ${e.prefix.text}`);
      else if (e.kind === "state" && e.state !== "connected") out.push(`${e.state}${e.stopping ? " (ExaBGP stopping)" : ""}`);
      else if (e.kind === "shutdown") out.push("shutdown");
      else if (e.kind === "unread") out.push(`unread ${e.path}`);
    }
  }
  return out;
}

describe("every capture of every version", () => {
  it("covers 4.2, 5.0, 6 with API v6 and v4, and every router", () => {
    expect(CAPTURES).toEqual(
      expect.arrayContaining([
        "exabgp-4.2-frr-tor.ndjson",
        "exabgp-4.2-bird-rs.ndjson",
        "exabgp-5.0-gobgp.ndjson",
        "exabgp-5.0-frr-tor.ndjson",
        "exabgp-5.0-bird-rs.ndjson",
        "exabgp-main-api6-gobgp.ndjson",
        "exabgp-main-api6-frr-tor.ndjson",
        "exabgp-main-api4-gobgp.ndjson",
      ]),
    );
  });

  it.each(CAPTURES)("%s: every line parses, nothing is left unread", (name) => {
    const lines = fixture(name);
    for (const [i, line] of lines.entries()) {
      const r = parseLine(line);
      expect(r.ok ? "" : r.error, `line ${i + 1}`).toBe("");
      if (r.ok) expect(r.value.filter((e) => e.kind === "unread" || e.kind === "ignored"), `line ${i + 1}`).toEqual([]);
    }
  });

  it.each(CAPTURES)("%s: the services of the script's first steps", (name) => {
    const s = story(fixture(name));
    // Steps 1-3 of the capture: five announces (one without a service
    // community), a withdraw and a replacement, an IPv6 withdraw.
    const first = s.slice(0, s.indexOf("- 2001:db8::123/128") + 1);
    // The ToR does not pass MED on to another AS (RFC 4271 §5.1.4).
    const med = name.includes("frr-tor") ? "" : " med 100";
    // API v4 of ExaBGP 6 takes the v6 form too: the script's probe of the other dialect is announced.
    const probe = name.includes("main-api4") ? ["+ 10.255.255.9/32 "] : [];
    expect(new Set(first)).toEqual(
      new Set([
        "up",
        ...probe,
        "+ 10.255.255.1/32 12345:80,12345:443,65000:1",
        `+ 10.255.255.2/32 12345:443${med}`,
        "+ 2001:db8::123/128 12345:443",
        "+ 198.51.100.0/24 ",
        "+ 10.255.255.3/32 12345:8080",
        "- 10.255.255.2/32",
        "+ 10.255.255.1/32 12345:443",
        "- 2001:db8::123/128",
      ]),
    );
    // Then the router restarts: the session goes down (not ExaBGP stopping) and comes back.
    const rest = s.slice(first.length);
    expect(rest).toContain("down");
    expect(rest.slice(rest.indexOf("down"))).toContain("up");
  });

  it.each(CAPTURES)("%s: stopping the listener's ExaBGP is told apart from a lost session", (name) => {
    const s = story(fixture(name));
    const downs = s.filter((x) => x.startsWith("down"));
    if (name.startsWith("exabgp-main")) {
      // ExaBGP 6 stopped with SIGTERM writes neither a `down` nor `shutdown`.
      expect(downs.every((d) => d === "down")).toBe(true);
      expect(s).not.toContain("shutdown");
    } else {
      expect(downs.at(-1)).toBe("down (ExaBGP stopping)");
      expect(s.at(-1)).toBe("shutdown");
      expect(downs.slice(0, -1).every((d) => d === "down")).toBe(true);
    }
  });
});

describe("the AS path of every version", () => {
  const announceOf = (name: string) => events(fixture(name).find((l) => l.includes('"announce"'))!).find((e) => e.kind === "announce");

  it("4.2's list and 5.0/6's segments read to the same sequence", () => {
    const asPath = (name: string) => {
      const e = announceOf(name);
      return e?.kind === "announce" ? e.attrs.asPath : undefined;
    };
    expect(asPath("exabgp-4.2-route-server-session.ndjson")).toEqual([65000]);
    expect(asPath("exabgp-5.0-gobgp.ndjson")).toEqual([65000]);
    expect(asPath("exabgp-main-api6-gobgp.ndjson")).toEqual([65000]);
    expect(asPath("exabgp-main-api4-gobgp.ndjson")).toEqual([65000]);
    // The ToR prepends its AS.
    expect(asPath("exabgp-4.2-frr-tor.ndjson")).toEqual([64999, 65000]);
    expect(asPath("exabgp-5.0-frr-tor.ndjson")).toEqual([64999, 65000]);
    expect(asPath("exabgp-main-api6-frr-tor.ndjson")).toEqual([64999, 65000]);
  });

  const withAsPath = (asPath: unknown) =>
    parseMessage({
      exabgp: "5.0.0",
      type: "update",
      neighbor: {
        address: { local: "127.0.0.3", peer: "127.0.0.1" },
        direction: "receive",
        message: { update: { attribute: { origin: "igp", "as-path": asPath, community: [[12345, 443]] }, announce: { "ipv4 unicast": { "192.0.2.2": [{ nlri: "10.0.0.1/32" }] } } } },
      },
    });

  it("segments in order; sets and confederation segments are not the sequence", () => {
    const r = withAsPath({
      "0": { element: "as-sequence", value: [64999] },
      "1": { element: "as-set", value: [1, 2] },
      "2": { element: "as-sequence", value: [65000] },
      "3": { element: "as-confed-sequence", value: [7] },
    });
    expect(r.ok && r.value[0]!.kind === "announce" && r.value[0]!.attrs.asPath).toEqual([64999, 65000]);
  });

  it.each([
    ["a string", "65000 64999"],
    ["an unknown segment kind", { "0": { element: "as-wormhole", value: [1] } }],
    ["a segment value that is no list", { "0": { element: "as-sequence", value: 65000 } }],
    ["a key that is no position", { first: { element: "as-sequence", value: [1] } }],
    ["an ASN over 32 bits", [4294967296]],
  ])("an AS path written as %s: the route is kept, the AS path is reported with its path", (_what, asPath) => {
    const r = withAsPath(asPath);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toHaveLength(2);
    const [route, note] = r.value;
    expect(route).toMatchObject({ kind: "announce", prefix: { text: "10.0.0.1/32" }, attrs: { communities: [[12345, 443]], origin: "igp" } });
    expect(route!.kind === "announce" && route!.attrs.asPath).toBeUndefined();
    expect(note).toMatchObject({ kind: "unread", path: "neighbor.message.update.attribute.as-path", reason: expect.any(String) });
  });
});

describe("the reason ExaBGP gives when it stops", () => {
  it.each([
    ["stop, message (shutting down)", true], // 4.2
    ["stop, message [shutting down]", true], // 5.0 and 6
    ["stop, message [removed]", false], // the neighbor left the config: a real loss
    ["stop, message (removed)", false],
    ["notification received (6,3)", false],
    ["peer reset, message (notification received (6,2)) error(Cease / Administrative Shutdown)", false],
    ["closing connection", false],
    ["shutting down", false],
  ])("%s → %s", (reason, stopping) => {
    expect(isExabgpStopping(reason)).toBe(stopping);
    const r = parseMessage({ exabgp: "5.0.0", type: "state", neighbor: { address: { local: "127.0.0.3", peer: "127.0.0.1" }, state: "down", reason } });
    expect(r.ok && r.value[0]).toEqual({ kind: "state", neighbor: "127.0.0.1", state: "down", reason, ...(stopping ? { stopping: true } : {}) });
  });

  it("only a down is ExaBGP stopping", () => {
    const r = parseMessage({ exabgp: "5.0.0", type: "state", neighbor: { address: { local: "127.0.0.3", peer: "127.0.0.1" }, state: "up", reason: "stop, message [shutting down]" } });
    expect(r.ok && r.value[0]).not.toHaveProperty("stopping");
  });
});
