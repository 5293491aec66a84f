import fc from "fast-check";
import seed from "../../../examples/seed.ejs?raw";
import { describe, expect, it } from "vitest";
import { Rib } from "../src/rib.js";
import { buildServices, sameServices, servicesJson, templateData } from "../src/services.js";
import { compileTemplate } from "../src/template.js";
import { attrs, prefix } from "./exa-lines.js";

const A = "127.0.0.1";
const B = "127.0.0.9";

function rib(): Rib {
  return new Rib({ communityAsn: 12345, maxRoutes: 1000 });
}

describe("services map", () => {
  it("ports ascending; prefixes deduplicated, IPv4 before IPv6, numeric order", () => {
    const r = rib();
    r.announce(B, prefix("2001:db8::10/128"), 0, "2001:db8::2", attrs([[12345, 443]]));
    r.announce(A, prefix("10.0.0.10/32"), 0, "192.0.2.2", attrs([[12345, 443], [12345, 8080]]));
    r.announce(A, prefix("2001:db8::9/128"), 0, "2001:db8::2", attrs([[12345, 443]]));
    r.announce(A, prefix("10.0.0.9/32"), 0, "192.0.2.2", attrs([[12345, 443], [12345, 22]]));
    r.announce(B, prefix("10.0.0.10/32"), 0, "192.0.2.3", attrs([[12345, 443]]));
    r.announce(A, prefix("10.0.0.10/32"), 7, "192.0.2.4", attrs([[12345, 443]]));
    const m = buildServices(r.routes());
    expect(m.ports).toEqual([22, 443, 8080]);
    // Integer-like keys iterate in ascending numeric order whatever the insertion order:
    // templates rely on it (Object.entries(services)).
    expect(Object.keys(m.services)).toEqual(["22", "443", "8080"]);
    expect(m.services[443]).toEqual(["10.0.0.9/32", "10.0.0.10/32", "2001:db8::9/128", "2001:db8::10/128"]);
    expect(m.backends[443]!.map((b) => `${b.prefix} ${b.neighbor} ${b.pathId}`)).toEqual([
      "10.0.0.9/32 127.0.0.1 0",
      "10.0.0.10/32 127.0.0.1 0",
      "10.0.0.10/32 127.0.0.1 7",
      "10.0.0.10/32 127.0.0.9 0",
      "2001:db8::9/128 127.0.0.1 0",
      "2001:db8::10/128 127.0.0.9 0",
    ]);
  });

  it("the same routes in any order give the same map, byte for byte", () => {
    const routes: [string, string, number, number][] = [
      [A, "10.1.0.0/16", 443, 0],
      [B, "10.1.0.0/16", 443, 0],
      [A, "10.1.0.0/16", 443, 2],
      [A, "9.0.0.0/8", 80, 0],
      [B, "2001:db8::/32", 80, 0],
      [A, "10.0.0.0/8", 443, 0],
      [B, "10.0.0.0/8", 80, 0],
    ];
    // The one text every order must give: ports ascending, prefixes numeric, IPv4 first, then neighbor and path id.
    const order443 = ["10.0.0.0/8 127.0.0.1 0", "10.1.0.0/16 127.0.0.1 0", "10.1.0.0/16 127.0.0.1 2", "10.1.0.0/16 127.0.0.9 0"];
    const order80 = ["9.0.0.0/8 127.0.0.1 0", "10.0.0.0/8 127.0.0.9 0", "2001:db8::/32 127.0.0.9 0"];
    let expected: string | undefined;
    fc.assert(
      fc.property(fc.shuffledSubarray(routes, { minLength: routes.length, maxLength: routes.length }), (order) => {
        const r = rib();
        for (const [n, p, port, pathId] of order) r.announce(n, prefix(p), pathId, "192.0.2.2", attrs([[12345, port]]));
        const m = buildServices(r.routes());
        const text = servicesJson(m);
        expect(m.services).toEqual({ 80: ["9.0.0.0/8", "10.0.0.0/8", "2001:db8::/32"], 443: ["10.0.0.0/8", "10.1.0.0/16"] });
        expect(m.backends[443]!.map((x) => `${x.prefix} ${x.neighbor} ${x.pathId}`)).toEqual(order443);
        expect(m.backends[80]!.map((x) => `${x.prefix} ${x.neighbor} ${x.pathId}`)).toEqual(order80);
        expected ??= text;
        expect(text).toBe(expected);
      }),
      { numRuns: 200 },
    );
    expect(JSON.parse(expected!)).toMatchObject({ ports: [80, 443] });
  });

  it("property: two maps are the same exactly when their JSON is (what the daemon skips a render on)", () => {
    const route = fc.record({
      n: fc.constantFrom(A, B),
      p: fc.constantFrom("10.0.0.1/32", "10.0.0.2/32", "2001:db8::1/128"),
      id: fc.constantFrom(0, 1),
      nh: fc.constantFrom("192.0.2.2", "192.0.2.3"),
      comms: fc.subarray<[number, number]>([[12345, 80], [12345, 443], [65535, 0], [65000, 1]], { minLength: 1 }),
      med: fc.option(fc.constantFrom(0, 10), { nil: undefined }),
    });
    const map = (routes: { n: string; p: string; id: number; nh: string; comms: [number, number][]; med: number | undefined }[]) => {
      const r = rib();
      for (const x of routes) r.announce(x.n, prefix(x.p), x.id, x.nh, attrs(x.comms, x.med === undefined ? {} : { med: x.med }));
      return buildServices(r.routes());
    };
    // b: a itself, a with one route changed in one field, or other routes.
    const change = fc.oneof(fc.constant(undefined), fc.tuple(fc.nat(), route, fc.constantFrom("n", "p", "id", "nh", "comms", "med")));
    fc.assert(
      fc.property(fc.array(route, { minLength: 1, maxLength: 5 }), change, fc.array(route, { maxLength: 5 }), (a, c, other) => {
        const b = c === undefined ? other : a.map((x, i) => (i === c[0] % a.length ? { ...x, [c[2]]: c[1][c[2] as keyof typeof x] } : x));
        const [x, y] = [map(a), map(b)];
        expect(sameServices(x, y)).toBe(servicesJson(x) === servicesJson(y));
        expect(sameServices(x, map(a))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("backends carry every attribute; a draining route is still a service", () => {
    const r = rib();
    r.announce(A, prefix("10.0.0.1/32"), 3, "192.0.2.2", attrs([[12345, 443], [65535, 0], [65000, 1]], { med: 10, localPref: 200 }));
    const m = buildServices(r.routes());
    expect(m.services).toEqual({ 443: ["10.0.0.1/32"] });
    expect(m.backends[443]).toEqual([
      {
        prefix: "10.0.0.1/32",
        address: "10.0.0.1",
        length: 32,
        family: 4,
        nexthop: "192.0.2.2",
        neighbor: A,
        pathId: 3,
        med: 10,
        localPref: 200,
        communities: ["12345:443", "65535:0", "65000:1"],
        draining: true,
      },
    ]);
  });

  it("a template gets its own copy: editing it does not change the map", () => {
    const r = rib();
    r.announce(A, prefix("10.0.0.2/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    r.announce(A, prefix("10.0.0.1/32"), 0, "192.0.2.2", attrs([[12345, 443]]));
    const m = buildServices(r.routes());
    const d = templateData(m);
    d.services[443]!.reverse();
    d.backends[443]!.reverse();
    // Backends are shared and frozen: a template (sloppy code) cannot change them either.
    expect(() => {
      (d.backends[443]![0] as { draining: boolean }).draining = true;
    }).toThrow(TypeError);
    d.ports.push(1);
    expect(m.services[443]).toEqual(["10.0.0.1/32", "10.0.0.2/32"]);
    expect(m.backends[443]!.map((b) => `${b.prefix} ${b.draining}`)).toEqual(["10.0.0.1/32 false", "10.0.0.2/32 false"]);
    expect(m.ports).toEqual([443]);
    expect(d.addr("2001:db8::1/128")).toBe("2001:db8::1");
  });

  it("the seed's example template renders exactly the contract's text", () => {
    const r = rib();
    r.announce(A, prefix("2001:802::123/128"), 0, "2001:db8::2", attrs([[12345, 443]]));
    r.announce(A, prefix("1.1.1.1/32"), 0, "192.0.2.2", attrs([[12345, 443], [12345, 8080]]));
    const t = compileTemplate(seed, "/examples/seed.ejs");
    if (!t.ok) throw new Error(t.error);
    expect(t.value.render(templateData(buildServices(r.routes())))).toBe(
      [
        "service_443",
        "  listen 127.0.0.1:443",
        "  backend 1.1.1.1:443",
        "  backend 2001:802::123:443",
        "",
        "service_8080",
        "  listen 127.0.0.1:8080",
        "  backend 1.1.1.1:8080",
        "",
        "",
      ].join("\n"),
    );
  });
});
