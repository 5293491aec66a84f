import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig, parseYaml } from "../src/config.js";
import { communitySchema, durationSchema, hostPortSchema, nameSchema, portSchema, prefixSchema } from "../src/schemas.js";
import { parseHostPort } from "../src/schemas.js";

const schema = z.strictObject({
  interval: durationSchema.default(2000),
  apps: z.array(
    z.strictObject({
      name: nameSchema,
      vip: prefixSchema,
      ports: z.array(portSchema),
      checks: z.array(z.strictObject({ tcp: hostPortSchema })).default([]),
      communities: z.array(communitySchema).default([]),
    }),
  ),
});

describe("loadConfig", () => {
  it("loads YAML into validated values", () => {
    const r = loadConfig(schema, "interval: 500ms\napps:\n  - {name: web, vip: 10.0.0.1/32, ports: [443], checks: [{tcp: '127.0.0.1:443'}]}\n", "a.yaml");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.interval).toBe(500);
    expect(r.value.apps[0]!.vip.text).toBe("10.0.0.1/32");
    expect(r.value.apps[0]!.checks[0]!.tcp).toEqual({ host: "127.0.0.1", port: 443 });
  });

  it("lists every problem by its path", () => {
    const yaml = [
      "interval: soon",
      "bogus: 1",
      "apps:",
      "  - {name: \"web\\nx\", vip: '1.2.3.4/32 next-hop 6.6.6.6', ports: [0, 70000], communities: ['65536:1']}",
      "  - {name: ok, vip: 10.0.0.1/32, ports: [80], checks: [{tcp: nope}]}",
    ].join("\n");
    const r = loadConfig(schema, yaml, "bad.yaml");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.error.join("\n");
    expect(text).toContain("bad.yaml: interval: invalid duration");
    expect(text).toMatch(/bad\.yaml: \(root\): Unrecognized key.*bogus/);
    expect(text).toContain("bad.yaml: apps[0].name: expected 1-64 characters");
    expect(text).toContain("bad.yaml: apps[0].vip: invalid prefix");
    expect(text).toContain("bad.yaml: apps[0].ports[0]: expected a port number 1..65535");
    expect(text).toContain("bad.yaml: apps[0].ports[1]: expected a port number 1..65535");
    expect(text).toContain("bad.yaml: apps[0].communities[0]: invalid community");
    expect(text).toContain('bad.yaml: apps[1].checks[0].tcp: expected host:port, got "nope"');
  });

  it("reports YAML syntax errors with the source", () => {
    const r = parseYaml("a: [1, 2\nb: }", "x.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]).toMatch(/^x\.yaml: /);
    const dup = parseYaml("a: 1\na: 2\n", "d.yaml");
    expect(dup.ok).toBe(false);
  });

  it("lets flags override file keys", () => {
    const r = loadConfig(schema, "interval: 5s\napps: []\n", "f.yaml", { interval: "1s", apps: undefined });
    expect(r.ok && r.value.interval).toBe(1000);
  });

  it("refuses a top level that is not a mapping", () => {
    const r = loadConfig(schema, "- 1\n- 2\n", "l.yaml");
    expect(r.ok).toBe(false);
  });

  it("parses host:port forms", () => {
    expect(parseHostPort("127.0.0.1:443")).toEqual({ ok: true, value: { host: "127.0.0.1", port: 443 } });
    expect(parseHostPort("[::1]:53")).toEqual({ ok: true, value: { host: "::1", port: 53 } });
    expect(parseHostPort("localhost:8080")).toEqual({ ok: true, value: { host: "localhost", port: 8080 } });
    for (const bad of ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "::1:53", "[1.2.3.4]:1", "a b:1", "999.1.1.1:1", "h:1\n"]) {
      expect(parseHostPort(bad).ok, bad).toBe(false);
    }
  });
});
