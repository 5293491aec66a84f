import { describe, expect, it } from "vitest";
import { parseAddress } from "../src/ip.js";
import type { IpAddress } from "../src/ip.js";
import { buildRouteRefresh, REFRESH_LINE } from "../src/refresh-command.js";

const ip = (t: string) => {
  const a = parseAddress(t);
  if (!a.ok) throw new Error(a.error);
  return a.value;
};

describe("route refresh command", () => {
  it("for every neighbor or one, in ExaBGP 4's text API or 6's", () => {
    expect(buildRouteRefresh("ipv4 unicast", { api: 4 })).toEqual({ ok: true, value: "announce route-refresh ipv4 unicast" });
    expect(buildRouteRefresh("ipv6 unicast", { api: 4, neighbor: ip("2001:DB8::1") })).toEqual({ ok: true, value: "neighbor 2001:db8::1 announce route-refresh ipv6 unicast" });
    expect(buildRouteRefresh("ipv4 unicast", { api: 6 })).toEqual({ ok: true, value: "peer * announce route-refresh ipv4 unicast" });
    expect(buildRouteRefresh("ipv4 unicast", { api: 6, neighbor: ip("192.0.2.1") })).toEqual({ ok: true, value: "peer 192.0.2.1 announce route-refresh ipv4 unicast" });
  });

  it("refuses a forged address or family: nothing else reaches ExaBGP", () => {
    const forged = { ...ip("192.0.2.1"), text: "192.0.2.1\nannounce route 0.0.0.0/0 next-hop self" } as IpAddress;
    expect(buildRouteRefresh("ipv4 unicast", { api: 4, neighbor: forged }).ok).toBe(false);
    expect(buildRouteRefresh("ipv4 flow" as never, { api: 4 }).ok).toBe(false);
    expect(REFRESH_LINE.test("announce route-refresh ipv4 unicast\nwithdraw route 10.0.0.1/32 next-hop self")).toBe(false);
  });
});
