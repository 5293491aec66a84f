// The captured ExaBGP sessions, line by line, against the maps their README
// gives — once through the prefilter (as the daemon runs) and once parsing
// every line: both must hold the same thing after every line.

import { describe, expect, it } from "vitest";
import { Ingest } from "../src/ingest.js";
import { Rib } from "../src/rib.js";
import { buildServices } from "../src/services.js";
import { fixture } from "./exa-lines.js";

type Services = Record<string, string[]>;

function replay(lines: string[], parseAll: boolean): { after: Services[]; rib: Rib; ingest: Ingest } {
  const rib = new Rib({ communityAsn: 12345, maxRoutes: 1000 });
  const ingest = new Ingest(rib, { staleGraceMs: 0, parseAll });
  const after: Services[] = [];
  lines.forEach((l, i) => {
    ingest.line(l, i + 1);
    after.push(buildServices(rib.routes()).services);
  });
  return { after, rib, ingest };
}

describe.each([
  ["prefiltered", false],
  ["parsing every line", true],
])("route-server fixture (%s)", (_name, parseAll) => {
  const lines = fixture("exabgp-4.2-route-server-session.ndjson");
  const { after, ingest } = replay(lines, parseAll);

  it("matches the README's map after each step", () => {
    const at = (line: number) => after[line - 1];
    expect(at(2)).toEqual({});
    expect(at(3)).toEqual({ 80: ["10.255.255.1/32"], 443: ["10.255.255.1/32"] });
    expect(at(6)).toEqual(at(5)); // 198.51.100.0/24 has no community: not a service
    expect(at(8)).toEqual({
      443: ["10.255.255.1/32", "10.255.255.2/32", "2001:db8::123/128"],
      80: ["10.255.255.1/32"],
      8080: ["10.255.255.3/32", "10.255.255.4/32"],
    });
    expect(at(9)).toEqual({
      443: ["10.255.255.1/32", "2001:db8::123/128"],
      80: ["10.255.255.1/32"],
      8080: ["10.255.255.3/32", "10.255.255.4/32"],
    });
    expect(at(10)).toEqual({ 443: ["10.255.255.1/32", "2001:db8::123/128"], 8080: ["10.255.255.3/32", "10.255.255.4/32"] });
    expect(at(11)).toEqual({ 443: ["10.255.255.1/32"], 8080: ["10.255.255.3/32", "10.255.255.4/32"] });
    expect(at(13)).toEqual(at(11)); // the notification alone changes nothing
    expect(at(14)).toEqual({}); // state: down
    expect(at(23)).toEqual({});
    expect(ingest.stats.rejected).toEqual({ too_long: 0, not_json: 0, not_exabgp: 0 });
  });

  it("every line is read; only lines that cannot matter are skipped", () => {
    expect(ingest.stats.lines).toBe(23);
    // Line 6 (no community, prefix not held) and line 12 (withdraw of it) are the only skippable ones.
    expect(ingest.stats.skipped).toBe(parseAll ? 0 : 2);
  });
});

describe.each([
  ["prefiltered", false],
  ["parsing every line", true],
])("add-path fixture (%s)", (_name, parseAll) => {
  const lines = fixture("exabgp-4.2-addpath-eor.ndjson");
  const { after, rib } = replay(lines, parseAll);

  it("matches the README's map after each step", () => {
    const at = (line: number) => after[line - 1];
    expect(at(4)).toEqual({});
    expect(at(6)).toEqual({ 80: ["10.255.255.1/32"], 443: ["10.255.255.1/32"] });
    expect(at(8)).toEqual({ 80: ["10.255.255.1/32"], 443: ["10.255.255.1/32", "2001:db8::1/128"] });
    expect(at(9)).toEqual({});
    expect(at(14)).toEqual({});
  });

  it("keeps both paths of one prefix apart: withdrawing path 1 leaves path 2", () => {
    const r = replay(lines.slice(0, 8), parseAll);
    const m = buildServices(r.rib.routes());
    expect(m.backends[443]!.map((b) => `${b.prefix} path ${b.pathId} nh ${b.nexthop}`)).toEqual([
      "10.255.255.1/32 path 2 nh 192.0.2.3",
      "2001:db8::1/128 path 1 nh 2001:db8::2",
    ]);
    expect(rib.size).toBe(0);
  });
});
