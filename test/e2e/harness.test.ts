// First end-to-end test: an ExaBGP announcing through a GoBGP route server to an
// ExaBGP whose process records the JSON it receives; what was recorded parses
// with the core parser into the events the announcements imply.

import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaEvent } from "@exacast/core";
import { parseLine } from "@exacast/core";
import type { Commander, ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, waitFor } from "../harness/index.js";

function eventsOf(lines: string[]): ExaEvent[] {
  return lines.flatMap((l, i) => {
    const r = parseLine(l);
    if (!r.ok) throw new Error(`recorded line ${i + 1} does not parse: ${r.error}`);
    return r.value;
  });
}

const brief = (e: ExaEvent) =>
  e.kind === "announce"
    ? `announce ${e.prefix.text} ${e.nexthop} [${e.attrs.communities.map((c) => c.join(":")).join(" ")}]${e.attrs.med !== undefined ? ` med ${e.attrs.med}` : ""}`
    : e.kind === "withdraw"
      ? `withdraw ${e.prefix.text}`
      : e.kind === "state"
        ? `state ${e.state}`
        : e.kind;

describe("harness: ExaBGP → GoBGP route server → ExaBGP", () => {
  const lab = new Lab("harness");
  let rs: GoBgp;
  let a: ExaBgp;
  let b: ExaBgp;
  let cmd: Commander;
  const rec = lab.recorder("b-received");
  const A = lab.addr(2);
  const B = lab.addr(3);

  beforeAll(async () => {
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
    cmd = await lab.commander("a");
    a = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "cmd", run: cmd.run, encoder: "text" }],
    });
    b = lab.exabgp({
      name: "b",
      address: B,
      asn: 65001,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "rec", run: rec.run, encoder: "json" }],
    });
    await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
  });

  afterAll(() => lab.close());

  it("sessions come up and both processes hear about it", async () => {
    onTestFailed(() => console.log(lab.report()));
    await cmd.connected();
    await waitFor(() => cmd.received.some((l) => /^neighbor \S+ up$/.test(l)), { what: "text neighbor up" });
    await waitFor(() => eventsOf(rec.lines()).some((e) => e.kind === "state" && e.state === "up"), { what: "json state up" });
  });

  it("announcements reach GoBGP's adj-in and the recorder as parsed events", async () => {
    onTestFailed(() => console.log(lab.report()));
    const acks = await cmd.command(
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 12345:80 65000:1]",
      "announce route 10.255.255.2/32 next-hop 192.0.2.2 med 100 community [12345:443]",
      "announce route 2001:db8::123/128 next-hop 2001:db8::2 community [12345:443]",
      "announce route 198.51.100.0/24 next-hop 192.0.2.2",
    );
    expect(acks).toEqual(["done", "done", "done", "done"]);

    const adj = await waitFor(async () => {
      const r = await rs.adjIn(A);
      return r.length === 4 ? r : undefined;
    }, { what: "4 routes in GoBGP adj-in" });
    expect(adj.find((r) => r.prefix === "10.255.255.1/32")).toMatchObject({ nexthop: "192.0.2.2", communities: ["12345:443", "12345:80", "65000:1"] });
    expect(adj.find((r) => r.prefix === "2001:db8::123/128")).toMatchObject({ nexthop: "2001:db8::2", communities: ["12345:443"] });

    const announced = () => eventsOf(rec.lines()).filter((e) => e.kind === "announce").map(brief).sort();
    await waitFor(() => announced().length === 4, { what: "4 announces recorded" });
    expect(announced()).toEqual([
      "announce 10.255.255.1/32 192.0.2.2 [12345:443 12345:80 65000:1]",
      "announce 10.255.255.2/32 192.0.2.2 [12345:443] med 100",
      "announce 198.51.100.0/24 192.0.2.2 []",
      "announce 2001:db8::123/128 2001:db8::2 [12345:443]",
    ]);
    const ev = eventsOf(rec.lines()).find((e) => e.kind === "announce");
    expect(ev).toMatchObject({ neighbor: rs.address, family: "ipv4 unicast", pathId: 0 });
  });

  it("withdraws and replacements arrive in order", async () => {
    onTestFailed(() => console.log(lab.report()));
    await cmd.command(
      "withdraw route 10.255.255.2/32 next-hop 192.0.2.2",
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]",
    );
    await waitFor(() => eventsOf(rec.lines()).some((e) => e.kind === "withdraw"), { what: "withdraw recorded" });
    const tail = await waitFor(() => {
      const t = eventsOf(rec.lines()).filter((e) => e.kind === "announce" || e.kind === "withdraw").map(brief).slice(-2);
      return t.includes("announce 10.255.255.1/32 192.0.2.2 [12345:443]") ? t : undefined;
    }, { what: "replacement recorded" });
    expect(tail).toEqual(["withdraw 10.255.255.2/32", "announce 10.255.255.1/32 192.0.2.2 [12345:443]"]);
  });

  it("a route-server restart shows as down, then up again", async () => {
    onTestFailed(() => console.log(lab.report()));
    const before = eventsOf(rec.lines()).length;
    await rs.restart();
    await waitFor(() => eventsOf(rec.lines()).slice(before).some((e) => e.kind === "state" && e.state === "down"), { what: "state down" });
    await rs.waitEstablished(B);
    await waitFor(() => eventsOf(rec.lines()).slice(before).some((e) => e.kind === "state" && e.state === "up"), { what: "state up again" });
  });

  it("an unknown command is answered with error, not silence", async () => {
    expect(await cmd.command("announce route 10.9.9.9/32 next-hop 192.0.2.2 bogus")).toEqual(["error"]);
  });
});
