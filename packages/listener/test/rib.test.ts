import { describe, expect, it } from "vitest";
import { Rib, portsOf } from "../src/rib.js";
import { attrs, prefix, servicesOf } from "./exa-lines.js";

const A = "127.0.0.1";
const B = "127.0.0.9";
const newRib = (maxRoutes = 1000) => new Rib({ communityAsn: 12345, maxRoutes });

describe("RIB", () => {
  it("holds only routes carrying a <community_asn>:<port> community", () => {
    const rib = newRib();
    expect(rib.announce(A, prefix("198.51.100.0/24"), 0, "192.0.2.2", attrs([]))).toBe("ignored");
    expect(rib.announce(A, prefix("198.51.100.0/24"), 0, "192.0.2.2", attrs([[65000, 1], [12346, 443]]))).toBe("ignored");
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 0]]))).toBe("ignored");
    expect(rib.size).toBe(0);
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443], [65000, 1]]))).toBe("added");
    expect(rib.size).toBe(1);
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.1/32"] });
  });

  it("an announce replaces the route: a re-announce with fewer communities removes the lost ports", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443], [12345, 80]]));
    expect(servicesOf(rib)).toEqual({ 80: ["10.0.0.1/32"], 443: ["10.0.0.1/32"] });
    const v = rib.version;
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]))).toBe("replaced");
    expect(rib.version).toBeGreaterThan(v);
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.1/32"] });
    expect(rib.size).toBe(1);
  });

  it("the same announce again changes nothing (no render)", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]], { med: 5 }));
    const v = rib.version;
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]], { med: 5 }))).toBe("unchanged");
    expect(rib.version).toBe(v);
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]], { med: 6 }))).toBe("replaced");
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.3", attrs([[12345, 443]], { med: 6 }))).toBe("replaced");
  });

  it("a held prefix re-announced without our community is removed", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    expect(rib.holdsPrefix("10.0.0.1/32")).toBe(true);
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[65000, 1]]))).toBe("removed");
    expect(rib.size).toBe(0);
    expect(rib.holdsPrefix("10.0.0.1/32")).toBe(false);
  });

  it("a withdraw removes the route; a withdraw of something not held is a no-op", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    const v = rib.version;
    expect(rib.withdraw(A, prefix("10.0.0.2/32"), 0)).toBe(false);
    expect(rib.withdraw(B, prefix("10.0.0.1/32"), 0)).toBe(false);
    expect(rib.version).toBe(v);
    expect(rib.withdraw(A, prefix("10.0.0.1/32"), 0)).toBe(true);
    expect(servicesOf(rib)).toEqual({});
  });

  it("routes are per neighbor, family, prefix and add-path id", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 1, "192.0.2.2", attrs([[12345, 443]]));
    rib.announce(A, prefix("10.0.0.1/32"), 2, "192.0.2.3", attrs([[12345, 443], [12345, 80]]));
    rib.announce(B, prefix("10.0.0.1/32"), 0, "192.0.2.4", attrs([[12345, 443]]));
    rib.announce(A, prefix("2001:db8::1/128"), 1, "2001:db8::2", attrs([[12345, 443]]));
    expect(rib.size).toBe(4);
    expect(servicesOf(rib)).toEqual({ 80: ["10.0.0.1/32"], 443: ["10.0.0.1/32", "2001:db8::1/128"] });
    rib.withdraw(A, prefix("10.0.0.1/32"), 2);
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.1/32", "2001:db8::1/128"] });
    rib.withdraw(A, prefix("10.0.0.1/32"), 1);
    expect(rib.holdsPrefix("10.0.0.1/32")).toBe(true); // B still has it
    rib.withdraw(B, prefix("10.0.0.1/32"), 0);
    expect(rib.holdsPrefix("10.0.0.1/32")).toBe(false);
  });

  it("state down removes every route of that neighbor only", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    rib.announce(A, prefix("10.0.0.2/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    rib.announce(B, prefix("10.0.0.3/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    expect(rib.sessionDown(A, false)).toBe(false);
    expect(rib.state(A)).toBe("down");
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.3/32"] });
    expect(rib.size).toBe(1);
  });

  it("stale_grace: routes are kept after down, re-learned ones survive the expiry, the rest go", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    rib.announce(A, prefix("10.0.0.2/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    const v = rib.version;
    expect(rib.sessionDown(A, true)).toBe(true); // a stale period starts: arm the timer
    expect(rib.version).toBe(v); // nothing a template sees changed
    expect(rib.neighborSummaries()).toEqual([{ address: A, state: "down", routes: 2, stale: 2 }]);
    // A reconnect that fails again does not restart the grace period.
    rib.setState(A, "connected");
    expect(rib.sessionDown(A, true)).toBe(false);
    rib.setState(A, "up");
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]))).toBe("unchanged");
    expect(rib.expireStale(A)).toBe(1);
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.1/32"] });
    expect(rib.expireStale(A)).toBe(0);
  });

  it("stale_grace: once every stale route is re-learned a later loss starts a new period", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    expect(rib.sessionDown(A, true)).toBe(true);
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    expect(rib.neighborSummaries()[0]!.stale).toBe(0);
    expect(rib.sessionDown(A, true)).toBe(true);
    // withdrawn while stale: gone at once
    rib.withdraw(A, prefix("10.0.0.1/32"), 0);
    expect(rib.size).toBe(0);
    expect(rib.expireStale(A)).toBe(0);
  });

  it("max_routes: new routes are refused, replacements of held ones still apply, the oldest are kept", () => {
    const rib = newRib(2);
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    rib.announce(A, prefix("10.0.0.2/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    expect(rib.announce(A, prefix("10.0.0.3/32"), 0, "192.0.2.2", attrs([[12345, 443]]))).toBe("refused");
    expect(rib.announce(A, prefix("10.0.0.2/32"), 0, "192.0.2.2", attrs([[12345, 80]]))).toBe("replaced");
    expect(servicesOf(rib)).toEqual({ 80: ["10.0.0.2/32"], 443: ["10.0.0.1/32"] });
    rib.withdraw(A, prefix("10.0.0.1/32"), 0);
    expect(rib.announce(A, prefix("10.0.0.3/32"), 0, "192.0.2.2", attrs([[12345, 443]]))).toBe("added");
  });

  it("65535:0 marks a route draining", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443], [65535, 0]]));
    expect([...rib.routes()][0]).toMatchObject({ draining: true, ports: [443] });
  });

  it("portsOf: ascending, unique, only our ASN, port 0 is not a port", () => {
    expect(portsOf([[12345, 443], [12345, 80], [12345, 443], [1, 22], [12345, 0]], 12345)).toEqual([80, 443]);
  });
});
