// Add-path: two ExaBGPs peering directly with `add-path send/receive`; the
// listener's services map keeps every path of a prefix apart (withdrawing one
// path leaves the other) and loses them all when the session goes down.

import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { Commander, ExaBgp } from "../harness/index.js";
import { bin, freePort, Lab, repoRoot, waitFor } from "../harness/index.js";

const lab = new Lab("listener-addpath");
const A = lab.addr(2); // announcer, passive
const B = lab.addr(3); // listener
const out = `${lab.dir}/services.txt`;
const stateFile = `${lab.dir}/services.json`;
const read = (f: string) => {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return undefined;
  }
};

interface Backend {
  prefix: string;
  pathId: number;
  nexthop: string;
}
const backends = (port: number) =>
  ((JSON.parse(read(stateFile) ?? "{}") as { backends?: Record<string, Backend[]> }).backends?.[port] ?? []).map((b) => `${b.prefix} path ${b.pathId} via ${b.nexthop}`);

let a: ExaBgp;
let cmd: Commander;

describe("listener ← ExaBGP (add-path) ← ExaBGP (add-path)", () => {
  beforeAll(async () => {
    const port = await freePort(A);
    const config = `${lab.dir}/listener.yaml`;
    writeFileSync(config, `debounce: 30ms\nstale_grace: 0s\nstate_file: ${stateFile}\ntemplates:\n  - { source: ${repoRoot}/examples/seed.ejs, destination: ${out} }\n`);
    cmd = await lab.commander("announcer");
    a = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      listenPort: port,
      neighbors: [{ address: B, peerAs: 65001, passive: true, addPath: true }],
      processes: [{ name: "cmd", run: cmd.run, encoder: "text" }],
    });
    lab.exabgp({
      name: "b",
      address: B,
      asn: 65001,
      neighbors: [{ address: A, peerAs: 65000, connect: port, addPath: true }],
      processes: [{ name: "listener", run: [...bin("exacast-listener"), "--config", config], encoder: "json" }],
    });
    await cmd.connected();
    await waitFor(() => cmd.received.some((l) => /^neighbor \S+ up$/.test(l)), { what: "add-path session up", timeout: 30_000 });
  });

  afterAll(() => lab.close());

  it("every path is held apart; withdrawing one path leaves the other", async () => {
    onTestFailed(() => console.log(lab.report()));
    await cmd.command(
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 path-information 1 community [12345:443]",
      "announce route 10.255.255.1/32 next-hop 192.0.2.3 path-information 2 community [12345:443 12345:80]",
      "announce route 2001:db8::1/128 next-hop 2001:db8::2 path-information 1 community [12345:443]",
    );
    // The state file is written before the templates of the same render: once
    // the template shows a state, the state file holds it too.
    await waitFor(() => backends(443).length === 3, { what: "3 paths held", timeout: 20_000 });
    // One prefix, listed once in `services` though two paths carry it.
    await waitFor(
      () => read(out) === "service_80\n  listen 127.0.0.1:80\n  backend 10.255.255.1:80\n\nservice_443\n  listen 127.0.0.1:443\n  backend 10.255.255.1:443\n  backend 2001:db8::1:443\n\n",
      { what: "rendered with both paths" },
    );
    expect(backends(443)).toEqual(["10.255.255.1/32 path 1 via 192.0.2.2", "10.255.255.1/32 path 2 via 192.0.2.3", "2001:db8::1/128 path 1 via 2001:db8::2"]);

    await cmd.command("withdraw route 10.255.255.1/32 next-hop 192.0.2.3 path-information 2");
    await waitFor(() => read(out) === "service_443\n  listen 127.0.0.1:443\n  backend 10.255.255.1:443\n  backend 2001:db8::1:443\n\n", { what: "path 2 withdrawn" });
    expect(backends(443)).toEqual(["10.255.255.1/32 path 1 via 192.0.2.2", "2001:db8::1/128 path 1 via 2001:db8::2"]);

    // A path re-announced without our community is no longer a service.
    await cmd.command("announce route 2001:db8::1/128 next-hop 2001:db8::2 path-information 1 community [65000:1]");
    await waitFor(() => read(out) === "service_443\n  listen 127.0.0.1:443\n  backend 10.255.255.1:443\n\n", { what: "IPv6 path gone" });
  });

  it("the session going down empties the map", async () => {
    onTestFailed(() => console.log(lab.report()));
    await a.stop("SIGTERM");
    await waitFor(() => read(out) === "", { what: "empty after the peer stopped", timeout: 20_000 });
    expect(backends(443)).toEqual([]);
  });
});
