// Consul ACLs as deployments have them, through ExaBGP 4.2 and GoBGP: four
// announcers on one agent, each with its own token and tag.
//   reader  the README's policy (node, service_prefix and agent read), no consul.node
//   nodeid  a node identity (node:write on its node, service_prefix read), no consul.node
//   svcid   a service identity (node_prefix and service_prefix read), consul.node set
//   scoped  node read and two services only: Consul filters the rest out
// Every one starts and announces; the scoped one keeps what Consul merely
// hides from it and withdraws what is gone. Consul is the agent emulator.

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { startConsulEmulator, type ConsulEmulator, type TokenSpec } from "../consul-emulator/index.js";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, waitFor, adjInCommunities, untilAdjIn } from "../harness/index.js";

const TOKENS: Record<string, TokenSpec> = {
  reader: { rules: { node: { edge1: "read" }, service_prefix: { "": "read" }, agent: { edge1: "read" } } },
  nodeid: { nodeIdentities: ["edge1"] },
  svcid: { serviceIdentities: ["web"] },
  scoped: { rules: { node: { edge1: "read" }, service: { shop: "read", cart: "read" } } },
};

describe("announcer with least-privilege Consul tokens and ACL-filtered answers", () => {
  const lab = new Lab("announcer-consul-acl");
  const A = lab.addr(2);
  const backend = createServer((c) => c.destroy());
  let consul: ConsulEmulator;
  let rs: GoBgp;
  let exa: ExaBgp;

  const routes = () => adjInCommunities(rs, A);
  const until = (probe: (r: Record<string, string>) => boolean, what: string, t0 = performance.now(), timeout = 10_000): Promise<number> =>
    untilAdjIn(rs, A, probe, what, { t0, timeout });
  const count = (re: RegExp) => exa.log().split("\n").filter((l) => re.test(l)).length;
  const watching = () => waitFor(() => consul.blockedQueries >= 8, { what: "the announcers' blocking queries", timeout: 5000, interval: 5 });
  const byToken = (token: string) => consul.requests.filter((r) => r.token === token).map((r) => `${r.status} ${r.path}`);

  beforeAll(async () => {
    await new Promise<void>((r) => backend.listen(0, lab.addr(10), r));
    consul = await startConsulEmulator({ node: "edge1", aclTokens: TOKENS });
    // Something on the agent with a check, as on any real host: what a node identity learns its node name from.
    consul.registerService({ ID: "sshd", Name: "sshd", Port: 22, Check: { CheckID: "sshd-ttl", TTL: "10m", Status: "passing" } });
    const announcer = (token: string, keys: string) => {
      const file = `${lab.dir}/${token}.yaml`;
      writeFileSync(file, `next_hop: 192.0.2.2\nconsul: { address: "${consul.address}", token: ${token}, tag: ${token}, interval: 200ms, wait: 2s, hold: 2s${keys} }\n`);
      return { name: token, run: [...bin("exacast-announcer"), "--config", file], encoder: "text" as const };
    };
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
    exa = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [announcer("reader", ""), announcer("nodeid", ""), announcer("svcid", ", node: edge1"), announcer("scoped", ", node: edge1")],
    });
    await rs.waitEstablished(A);
  });

  afterAll(async () => {
    await lab.close();
    await consul.close();
    await new Promise((r) => backend.close(r));
  });

  it("each least-privilege token starts discovery and announces: agent:read, a node identity without it, a service identity with consul.node", async () => {
    onTestFailed(() => console.log(lab.report()));
    const t0 = performance.now();
    const vips: Record<string, string> = { reader: "10.255.255.60/32", nodeid: "10.255.255.61/32", svcid: "10.255.255.62/32" };
    for (const [tag, vip] of Object.entries(vips)) {
      consul.registerService({ ID: `${tag}-web-1`, Name: "web", Port: 443, Tags: [tag, `exacast_vip=${vip}`], Check: { CheckID: `${tag}-ttl`, TTL: "10m", Status: "passing" } });
    }
    const took = await until((r) => Object.values(vips).every((v) => r[v] === "12345:443"), "the three announced", t0);
    console.log(`least privilege: three announcers with three kinds of token announced ${took.toFixed(0)} ms after the registrations`);
    expect(byToken("reader")).toContain("200 /v1/agent/self");
    expect(byToken("nodeid")).toContain("403 /v1/agent/self");
    expect(byToken("nodeid")).toContain("200 /v1/agent/checks");
    expect(byToken("svcid").some((r) => r.includes("/v1/agent/self"))).toBe(false);
    // No read of theirs was refused or filtered: they see their node, its services and checks.
    for (const t of ["reader", "nodeid", "svcid"]) expect(byToken(t).filter((r) => /^403 \/v1\/(catalog|health)/.test(r)), t).toEqual([]);
  });

  it("ACL-filtered answers: what the token never saw is no app; what it no longer sees is kept while the agent has it, withdrawn once it is gone", async () => {
    onTestFailed(() => console.log(lab.report()));
    const backendAt = `${lab.addr(10)}:${(backend.address() as AddressInfo).port}`;
    consul.registerService({ ID: "shop-1", Name: "shop", Port: 8080, Tags: ["scoped", "exacast_vip=10.255.255.63/32", `exacast_check=tcp:${backendAt}`] });
    consul.registerService({ ID: "cart-1", Name: "cart", Port: 8081, Tags: ["scoped", "exacast_vip=10.255.255.64/32"], Check: { CheckID: "cart-ttl", TTL: "10m", Status: "passing" } });
    consul.registerService({ ID: "vault-1", Name: "vault", Port: 8200, Tags: ["scoped", "exacast_vip=10.255.255.65/32"] });
    await until((r) => r["10.255.255.63/32"] === "12345:8080" && r["10.255.255.64/32"] === "12345:8081", "shop and cart announced");
    expect("10.255.255.65/32" in (await routes())).toBe(false); // vault: hidden from the start, never an app
    expect(count(/consul_acl_filtered/)).toBe(1); // the scoped announcer, once

    // The policy loses both services. A query already blocked keeps the rules it started with
    // (as Consul's RPCs do): the next change is answered by the old ones, the one after by the new.
    await watching();
    consul.setToken("scoped", { rules: { node: { edge1: "read" } } });
    consul.registerService({ ID: "x1", Name: "x1" });
    await watching();
    const t0 = performance.now();
    consul.registerService({ ID: "x2", Name: "x2" });
    await waitFor(() => count(/consul_service_hidden/) >= 2, { what: "shop and cart found hidden", timeout: 5000 });
    // The tcp-checked app stays; the consul-checked one holds its last result for `hold` (2 s), then goes.
    const cartGone = await until((r) => !("10.255.255.64/32" in r), "cart withdrawn after hold + fall", t0);
    expect((await routes())["10.255.255.63/32"]).toBe("12345:8080");
    expect(count(/app_state app=consul-cart-1 .*to=DOWN .*hidden from this token by ACLs/)).toBe(1);

    await watching();
    const t1 = performance.now();
    consul.deregisterService("shop-1"); // gone for good: 404 on /v1/agent/service/shop-1, not 403
    const shopGone = await until((r) => !("10.255.255.63/32" in r), "shop withdrawn once deregistered", t1);
    console.log(`ACL filtering: a hidden consul-checked app withdrawn ${cartGone.toFixed(0)} ms after it was hidden (hold 2s + fall); a hidden tcp-checked app kept, then withdrawn ${shopGone.toFixed(0)} ms after its deregistration`);
    expect(byToken("scoped")).toEqual(expect.arrayContaining(["403 /v1/agent/service/shop-1", "404 /v1/agent/service/shop-1"]));
  });
});
