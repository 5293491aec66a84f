// exacast-listener under a real ExaBGP, learning routes through a GoBGP route
// server from an ExaBGP the test scripts: announcements, replacements,
// withdraws, IPv6, draining, /metrics and /status, and a route-server restart,
// all seen in the rendered files.

import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { Commander, ExaBgp, GoBgp } from "../harness/index.js";
import { bin, freePort, Lab, repoRoot, waitFor } from "../harness/index.js";

const lab = new Lab("listener-rs");
const A = lab.addr(2); // announcer side
const B = lab.addr(3); // listener side
const out = `${lab.dir}/services.txt`;
const haproxyCfg = `${lab.dir}/haproxy.cfg`;
const stateFile = `${lab.dir}/services.json`;
const history = `${lab.dir}/history.log`;
const read = (f: string) => {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return undefined;
  }
};
const renders = () => (read(history) ?? "").split("----\n").slice(0, -1);

let rs: GoBgp;
let cmd: Commander;
let b: ExaBgp;
let httpPort: number;

const seed = (entries: [number, string[]][]) =>
  entries.map(([port, ips]) => `service_${port}\n  listen 127.0.0.1:${port}\n${ips.map((ip) => `  backend ${ip}:${port}\n`).join("")}\n`).join("");

async function get(path: string): Promise<string> {
  const r = await fetch(`http://${B}:${httpPort}${path}`);
  return r.text();
}

describe("listener ← ExaBGP ← GoBGP route server ← ExaBGP", () => {
  beforeAll(async () => {
    httpPort = await freePort(B);
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
    const config = `${lab.dir}/listener.yaml`;
    writeFileSync(
      config,
      [
        "debounce: 50ms",
        "max_wait: 1s",
        // Session losses drop the routes at once (the default keeps them 120 s): the restart test sees it.
        "stale_grace: 0s",
        `state_file: ${stateFile}`,
        `http: { listen: "${B}:${httpPort}" }`,
        "templates:",
        `  - source: ${repoRoot}/examples/seed.ejs`,
        `    destination: ${out}`,
        // Every installed version, in order: the test sees renders it could miss by polling.
        `    reload: cat "$EXACAST_DESTINATION" >> ${history}; echo ---- >> ${history}`,
        `  - source: ${repoRoot}/examples/haproxy.cfg.ejs`,
        `    destination: ${haproxyCfg}`,
        `    check: /usr/sbin/haproxy -c -q -f "$EXACAST_CANDIDATE"`,
      ].join("\n") + "\n",
    );
    cmd = await lab.commander("announcer");
    lab.exabgp({
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
      processes: [{ name: "listener", run: [...bin("exacast-listener"), "--config", config], encoder: "json" }],
    });
    await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
    await cmd.connected();
  });

  afterAll(() => lab.close());

  it("announcements show up in the rendered file, the state file and HAProxy's config", async () => {
    onTestFailed(() => console.log(lab.report()));
    const acks = await cmd.command(
      "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 12345:80 65000:1]",
      "announce route 10.255.255.2/32 next-hop 192.0.2.2 med 100 community [12345:443]",
      "announce route 2001:db8::123/128 next-hop 2001:db8::2 community [12345:443]",
      "announce route 198.51.100.0/24 next-hop 192.0.2.2",
      "announce route 10.255.255.3/32 next-hop 192.0.2.2 community [12345:8080]",
    );
    expect(acks).toEqual(["done", "done", "done", "done", "done"]);
    const want = seed([
      [80, ["10.255.255.1"]],
      [443, ["10.255.255.1", "10.255.255.2", "2001:db8::123"]],
      [8080, ["10.255.255.3"]],
    ]);
    await waitFor(() => read(out) === want, { what: "rendered services", timeout: 20_000 });
    const state = JSON.parse(read(stateFile)!) as { backends: Record<string, { prefix: string; med: number | null; neighbor: string; nexthop: string }[]> };
    expect(state.backends[443]!.find((x) => x.prefix === "10.255.255.2/32")).toMatchObject({ med: 100, neighbor: rs.address, nexthop: "192.0.2.2" });
    await waitFor(() => read(haproxyCfg)?.includes("server 2001:db8::123 [2001:db8::123]:443 check"), { what: "haproxy.cfg" });
  });

  it("a replacement drops the lost port, a withdraw drops the prefix, an IPv6 withdraw too", async () => {
    onTestFailed(() => console.log(lab.report()));
    await cmd.command("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]");
    await waitFor(() => read(out) === seed([[443, ["10.255.255.1", "10.255.255.2", "2001:db8::123"]], [8080, ["10.255.255.3"]]]), { what: "port 80 gone" });
    await cmd.command("withdraw route 10.255.255.2/32 next-hop 192.0.2.2", "withdraw route 2001:db8::123/128 next-hop 2001:db8::2");
    await waitFor(() => read(out) === seed([[443, ["10.255.255.1"]], [8080, ["10.255.255.3"]]]), { what: "withdraws applied" });
  });

  it("draining (65535:0) keeps the service listed and marks the backend", async () => {
    onTestFailed(() => console.log(lab.report()));
    await cmd.command("announce route 10.255.255.3/32 next-hop 192.0.2.2 community [12345:8080 65535:0]");
    await waitFor(() => read(haproxyCfg)?.includes("10.255.255.3:8080 check weight 0"), { what: "haproxy server drained" });
    const state = JSON.parse(read(stateFile)!) as { services: Record<string, string[]>; backends: Record<string, { draining: boolean }[]> };
    expect(state.services[8080]).toEqual(["10.255.255.3/32"]);
    expect(state.backends[8080]![0]!.draining).toBe(true);
    expect(read(out)).toBe(seed([[443, ["10.255.255.1"]], [8080, ["10.255.255.3"]]]));
  });

  it("/metrics and /status follow the routes", async () => {
    onTestFailed(() => console.log(lab.report()));
    const metrics = await get("/metrics");
    expect(metrics).toContain(`exacast_listener_routes{neighbor="${rs.address}"} 2`);
    expect(metrics).toContain('exacast_listener_service_prefixes{port="443"} 1');
    expect(metrics).toContain(`exacast_listener_neighbor_up{neighbor="${rs.address}"} 1`);
    expect(metrics).toMatch(/exacast_listener_renders_total\{template="seed\.ejs",result="written"\} [1-9]/);
    expect(metrics).toMatch(/exacast_listener_lines_total [1-9]/);
    await cmd.command("announce route 10.255.255.9/32 next-hop 192.0.2.2 community [12345:443]");
    await waitFor(async () => (await get("/metrics")).includes(`exacast_listener_routes{neighbor="${rs.address}"} 3`), { what: "route count moves" });
    const status = JSON.parse(await get("/status")) as { services: Record<string, string[]>; neighbors: { address: string; state: string; routes: number }[] };
    expect(status.services[443]).toEqual(["10.255.255.1/32", "10.255.255.9/32"]);
    expect(status.neighbors).toEqual([expect.objectContaining({ address: rs.address, state: "up", routes: 3 })]);
    const r = await fetch(`http://${B}:${httpPort}/status`, { method: "DELETE" });
    expect(r.status).toBe(405);
    expect((await fetch(`http://${B}:${httpPort}/nope`)).status).toBe(404);
    const page = await fetch(`http://${B}:${httpPort}/`);
    expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
    expect(await page.text()).toContain("10.255.255.9");
  });

  it("a route-server restart empties the file (session down), then the routes come back", async () => {
    onTestFailed(() => console.log(lab.report()));
    const full = seed([[443, ["10.255.255.1", "10.255.255.9"]], [8080, ["10.255.255.3"]]]);
    // The history is appended by the reload command, just after the file is in place.
    await waitFor(() => renders().at(-1) === full, { what: "settled before restart" });
    const before = renders().length;
    await rs.restart();
    await waitFor(() => renders().slice(before).includes(""), { what: "an empty render after session down", timeout: 20_000 });
    await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
    await waitFor(() => read(out) === full, { what: "routes back after the restart", timeout: 30_000 });
    await waitFor(() => renders().at(-1) === full, { what: "the last install is the full map" });
    const after = renders().slice(before);
    expect(after.indexOf("")).toBeGreaterThanOrEqual(0);
    expect(after.lastIndexOf(full)).toBeGreaterThan(after.indexOf(""));
    expect(b.log()).not.toMatch(/Too many death/);
  });

  it("stopping the listener's ExaBGP leaves the files as they were", async () => {
    onTestFailed(() => console.log(lab.report()));
    const before = read(out);
    expect(before).toContain("backend 10.255.255.1:443");
    // As systemd stops a unit: SIGTERM to ExaBGP and to the listener it runs.
    await b.stop("SIGTERM");
    expect(read(out)).toBe(before);
    expect(b.log()).toMatch(/INFO {2}shutdown reason=/);
  });
});
