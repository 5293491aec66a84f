import { describe, expect, it } from "vitest";
import { Rib, portsOf, WITHDRAWN_BEFORE_LOSS_MS } from "../src/rib.js";
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
    expect(rib.sessionDown(A, false)).toBe(0);
    expect(rib.state(A)).toBe("down");
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.3/32"] });
    expect(rib.size).toBe(1);
  });

  it("stale_grace: routes are kept after down, re-learned ones survive the expiry, the rest go", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    rib.announce(A, prefix("10.0.0.2/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    const v = rib.version;
    const period = rib.sessionDown(A, true);
    expect(period).toBeGreaterThan(0); // a stale period starts: arm its timer
    expect(rib.version).toBe(v); // nothing a template sees changed
    expect(rib.neighborSummaries()).toEqual([{ address: A, state: "down", routes: 2, stale: 2 }]);
    // A reconnect that fails again does not restart the grace period.
    rib.setState(A, "connected");
    expect(rib.sessionDown(A, true)).toBe(0);
    rib.setState(A, "up");
    expect(rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]))).toBe("unchanged");
    expect(rib.expireStale(A, period)).toBe(1);
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.1/32"] });
    expect(rib.expireStale(A)).toBe(0);
  });

  it("stale_grace: once every stale route is re-learned a later loss starts a new period", () => {
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    expect(rib.sessionDown(A, true)).toBeGreaterThan(0);
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    expect(rib.neighborSummaries()[0]!.stale).toBe(0);
    expect(rib.sessionDown(A, true)).toBeGreaterThan(0);
    // withdrawn while stale: gone at once
    rib.withdraw(A, prefix("10.0.0.1/32"), 0);
    expect(rib.size).toBe(0);
    expect(rib.expireStale(A)).toBe(0);
  });

  it("stale_grace: routes re-learned after a loss get a grace period of their own at the next loss", () => {
    // Found looking into the chaos test: a backend gone for good kept the neighbor's
    // first stale period open, and a route-server restart just before it ended
    // took every healthy route that had not been re-sent yet with it.
    const rib = newRib();
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    rib.announce(A, prefix("10.0.0.2/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    const first = rib.sessionDown(A, true);
    rib.setState(A, "up");
    rib.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]])); // 10.0.0.2 never comes back
    const second = rib.sessionDown(A, true);
    expect(second).toBeGreaterThan(first);
    expect(rib.expireStale(A, first)).toBe(1);
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.1/32"] });
    expect(rib.neighborSummaries()).toEqual([{ address: A, state: "down", routes: 1, stale: 1 }]);
    expect(rib.expireStale(A, second)).toBe(1);
    expect(servicesOf(rib)).toEqual({});
  });

  it("stale_grace: routes withdrawn just before the session loss are kept with the others", () => {
    // Found by the chaos test: GoBGP, stopping, deletes its peers one by one
    // and sends us each one's withdrawals before its own Cease reaches us.
    const rib = newRib();
    for (const p of ["10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32", "10.0.0.4/32"]) rib.announce(A, prefix(p), 0, "192.0.2.2", attrs([[12345, 443]]));
    rib.withdraw(A, prefix("10.0.0.1/32"), 0, 1000); // long before the loss: gone
    rib.withdraw(A, prefix("10.0.0.2/32"), 0, 5000);
    rib.withdraw(A, prefix("10.0.0.3/32"), 0, 5001);
    rib.announce(A, prefix("10.0.0.3/32"), 0, "192.0.2.2", attrs([[65000, 1]])); // not a service any more
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.4/32"] });
    const period = rib.sessionDown(A, true, 5000 + WITHDRAWN_BEFORE_LOSS_MS);
    expect(servicesOf(rib)).toEqual({ 443: ["10.0.0.2/32", "10.0.0.4/32"] });
    expect(rib.neighborSummaries()).toEqual([{ address: A, state: "down", routes: 2, stale: 2 }]);
    expect(rib.expireStale(A, period)).toBe(2);
    // Without stale_grace a withdrawal is final.
    const strict = newRib();
    strict.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    strict.withdraw(A, prefix("10.0.0.1/32"), 0, 1);
    strict.sessionDown(A, false, 2);
    expect(strict.size).toBe(0);
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
