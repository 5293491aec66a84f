// consul: keys this issue added, and the environment GoCast users set.

import { describe, expect, it } from "vitest";
import { loadAnnouncerConfig } from "../src/config.js";

const FILE = "/etc/exacast/announcer.yaml";
const load = (text: string, env: Record<string, string> = {}) => {
  const r = loadAnnouncerConfig(text, FILE, {}, env);
  return r.ok ? { ok: true as const, consul: r.value.consul! } : { ok: false as const, problems: r.error.map((l) => l.replace(`${FILE}: `, "")) };
};

describe("consul: node, stale and their environment variables", () => {
  it("node: the key, else CONSUL_NODE, else asked from the agent (null)", () => {
    expect(load("consul: {}\n")).toMatchObject({ consul: { node: null } });
    expect(load("consul: {}\n", { CONSUL_NODE: "edge7" })).toMatchObject({ consul: { node: "edge7" } });
    expect(load("consul: { node: edge1 }\n", { CONSUL_NODE: "edge7" })).toMatchObject({ consul: { node: "edge1" } });
    expect(load("consul: {}\n", { CONSUL_NODE: "a/b" })).toEqual({ ok: false, problems: ["consul.node: not set, and CONSUL_NODE is not a Consul node name"] });
  });

  it("stale: true by default; the key, else CONSUL_STALE", () => {
    expect(load("consul: {}\n")).toMatchObject({ consul: { stale: true } });
    expect(load("consul: {}\n", { CONSUL_STALE: "false" })).toMatchObject({ consul: { stale: false } });
    expect(load("consul: { stale: true }\n", { CONSUL_STALE: "false" })).toMatchObject({ consul: { stale: true } });
    expect(load("consul: { stale: false }\n")).toMatchObject({ consul: { stale: false } });
    expect(load("consul: {}\n", { CONSUL_STALE: "maybe" })).toEqual({ ok: false, problems: ["consul.stale: not set, and CONSUL_STALE is not true or false"] });
    expect(load("consul: { stale: yes-please }\n")).toMatchObject({ ok: false });
  });
});
