// GoCast's documented request forms (its README and server.go) against the
// announcer under real ExaBGP 4.2 and GoBGP: port:tcp:P and port:udp:P mean
// "something on this host listens on P, on any address" (the services here
// are bound to one lab address only; a connect to 127.0.0.1:P is refused),
// VIPs with host bits are masked, /register takes PUT and POST, /info answers
// GoBGP's api.Peer shape, and http.cleanup_after (GoCast's cleanup_timer)
// drops an app withdrawn that long. Times are printed.

import { createSocket } from "node:dgram";
import { rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import gocastInfo from "../fixtures/gocast-info-established.json?raw";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, quietPort, waitFor, untilAdjIn } from "../harness/index.js";

/** A port nothing on this host uses, on any address (the kernel's pick for a dual-stack [::]:0). */
async function freeEverywhere(): Promise<number> {
  const s = createServer();
  const port = await new Promise<number>((r) => s.listen(0, "::", () => r((s.address() as AddressInfo).port)));
  await new Promise((r) => s.close(r));
  return port;
}

const listenOn = async (host: string, port: number): Promise<Server> => {
  const s = createServer((c) => c.destroy());
  await new Promise<void>((r) => s.listen(port, host, r));
  return s;
};

/** Every key path of a JSON value with its JSON type ("conf.neighbor_address: string"); arrays by their first item. */
function shape(v: unknown, path = ""): string[] {
  if (Array.isArray(v)) return v.length ? shape(v[0], `${path}[]`) : [`${path}: array`];
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => shape(x, path ? `${path}.${k}` : k));
  return [`${path}: ${v === null ? "null" : typeof v}`];
}

describe("GoCast's forms through ExaBGP and GoBGP", () => {
  const lab = new Lab("announcer-gocast");
  const A = lab.addr(2);
  let rs: GoBgp;
  let exa: ExaBgp;
  let api = "";
  const flag = `${lab.dir}/healthy`;

  const until = (probe: (r: Record<string, string>) => boolean, what: string): Promise<number> => untilAdjIn(rs, A, probe, what);
  const get = async (path: string, method = "GET") => {
    const r = await fetch(`${api}${path}`, { method });
    return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
  };

  beforeAll(async () => {
    const port = await quietPort([A]);
    api = `http://${A}:${port}`;
    const config = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      config,
      [
        "next_hop: 192.0.2.2",
        "interval: 200ms",
        "fast_interval: 50ms",
        "rise: 1",
        "fall: 1",
        // No token: GoCast's clients send none (the API listens on loopback).
        `http: { listen: "${A}:${port}", allow_exec: true, cleanup_after: 1s }`,
      ].join("\n") + "\n",
    );
    rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }] });
    exa = lab.exabgp({
      name: "a",
      address: A,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", config], encoder: "text" }],
    });
    await rs.waitEstablished(A);
    await waitFor(async () => (await get("/v1/apps")).status === 200, { what: "the API", timeout: 10_000 });
  });

  afterAll(async () => {
    await lab.close();
  });

  it("README's form, port:tcp:P: a service bound only to one host address is UP (127.0.0.1:P refuses); closed, DOWN", async () => {
    onTestFailed(() => console.log(lab.report()));
    const P = await freeEverywhere();
    const service = await listenOn(lab.addr(10), P);
    const refused = await new Promise<string>((r) => connect(P, "127.0.0.1").once("connect", () => r("connected")).once("error", (e: NodeJS.ErrnoException) => r(e.code ?? "")));
    expect(refused).toBe("ECONNREFUSED");
    expect((await get(`/register?name=app1&vip=10.255.8.1/32&monitor=port:tcp:${P}`)).status).toBe(200);
    const up = await until((r) => r["10.255.8.1/32"] === `12345:${P}`, "app1 announced");
    await new Promise((r) => service.close(r));
    const down = await until((r) => !("10.255.8.1/32" in r), "app1 withdrawn");
    console.log(`GoCast port:tcp monitor: /register → in GoBGP ${up.toFixed(0)} ms; service closed → withdrawn ${down.toFixed(0)} ms`);
  });

  it("port:udp:P: a UDP socket bound to one host address is UP; closed, DOWN", async () => {
    onTestFailed(() => console.log(lab.report()));
    const P = await freeEverywhere();
    const u = createSocket("udp4");
    await new Promise<void>((r) => u.bind(P, lab.addr(11), r));
    expect((await get(`/register?name=dns&vip=10.255.8.2/32&monitor=port:udp:${P}`)).status).toBe(200);
    await until((r) => r["10.255.8.2/32"] === `12345:${P}`, "dns announced");
    await new Promise<void>((r) => u.close(r));
    await until((r) => !("10.255.8.2/32" in r), "dns withdrawn");
  });

  it("several monitors must all pass (port and exec), vip_communities are added; a VIP with host bits is masked, with a warning", async () => {
    onTestFailed(() => console.log(lab.report()));
    const P = await freeEverywhere();
    const service = await listenOn(lab.addr(12), P);
    writeFileSync(flag, "");
    const query = `name=web&vip=10.255.9.77/24&monitor=port:tcp:${P}&monitor=${encodeURIComponent(`exec:test -e ${flag}`)}&vip_communities=65000:7,65000:8`;
    const r = await get(`/register?${query}`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).warnings).toEqual(["vip: 10.255.9.77/24 has host bits set; announcing 10.255.9.0/24 as GoCast does"]);
    await until((x) => x["10.255.9.0/24"] === `12345:${P} 65000:7 65000:8`, "web announced, masked");
    rmSync(flag);
    await until((x) => !("10.255.9.0/24" in x), "web withdrawn when the exec monitor fails");
    await new Promise((r) => service.close(r));
    // exacast's own API keeps refusing host bits.
    const own = await fetch(`${api}/v1/apps/strict`, { method: "PUT", body: JSON.stringify({ vip: "10.255.9.77/24" }) });
    expect(own.status).toBe(400);
    expect(exa.log()).toMatch(/gocast_register_warning app=web/);
  });

  it("/register takes PUT and POST as GoCast does (any method, the query only); /unregister takes DELETE", async () => {
    onTestFailed(() => console.log(lab.report()));
    expect((await get("/register?name=put1&vip=10.255.8.11/32", "PUT")).status).toBe(200);
    expect((await get("/register?name=post1&vip=10.255.8.12/32", "POST")).status).toBe(200);
    // No monitor: always healthy, as in GoCast.
    await until((x) => "10.255.8.11/32" in x && "10.255.8.12/32" in x, "both announced");
    expect((await get("/unregister?name=put1", "DELETE")).status).toBe(200);
    expect((await get("/unregister?name=post1", "PUT")).status).toBe(200);
    await until((x) => !("10.255.8.11/32" in x) && !("10.255.8.12/32" in x), "both withdrawn");
  });

  it("GET /info: GoBGP's api.Peer as GoCast writes it, every key one GoCast's own answer has", async () => {
    onTestFailed(() => console.log(lab.report()));
    const r = await get("/info");
    expect(r.status).toBe(200);
    expect(r.type).toBe("application/json");
    expect(r.text).toBe(`${JSON.stringify(JSON.parse(r.text))}\n`);
    const info = JSON.parse(r.text) as { conf: { neighbor_address: string }; state: { neighbor_address: string; session_state: number }; timers: { state: { uptime: { seconds: number } } } };
    expect(info.conf.neighbor_address).toBe(rs.address);
    expect(info.state).toEqual({ neighbor_address: rs.address, session_state: 6 });
    expect(Math.abs(info.timers.state.uptime.seconds - Date.now() / 1000)).toBeLessThan(120);
    const theirs = new Set(shape(JSON.parse(gocastInfo)));
    expect(shape(info).filter((k) => !theirs.has(k))).toEqual([]);
  });

  it("cleanup_after (GoCast's cleanup_timer, 1s here): an app withdrawn that long is dropped", async () => {
    onTestFailed(() => console.log(lab.report()));
    const P = await freeEverywhere();
    const service = await listenOn(lab.addr(13), P);
    expect((await get(`/register?name=gone&vip=10.255.8.20/32&monitor=port:tcp:${P}`)).status).toBe(200);
    await until((x) => "10.255.8.20/32" in x, "gone announced");
    await new Promise((r) => service.close(r));
    await until((x) => !("10.255.8.20/32" in x), "gone withdrawn");
    const t0 = performance.now();
    expect((await get("/v1/apps/gone")).status).toBe(200);
    await waitFor(async () => (await get("/v1/apps/gone")).status === 404, { what: "the app dropped", timeout: 5000, interval: 20 });
    const dropped = performance.now() - t0;
    expect(dropped).toBeGreaterThan(700);
    console.log(`cleanup_after 1s: dropped ${dropped.toFixed(0)} ms after the withdrawal was seen in GoBGP`);
    expect(exa.log()).toMatch(/http_app_cleanup app=gone/);
  });
});
