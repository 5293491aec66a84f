// The registration API under real ExaBGP 4.2 and GoBGP: an app PUT over
// HTTP reaches GoBGP's adj-in with its community, DELETE withdraws it, and
// GoCast's /register and /unregister do the same. Times from the request to
// the route in GoBGP are measured and printed.

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { ExaBgp, GoBgp } from "../harness/index.js";
import { Lab, bin, quietPort, waitFor, adjInCommunities, untilAdjIn } from "../harness/index.js";
import { parsePrometheusText } from "../harness/prometheus.js";

const TOKEN = "e2e-http-token-0123456789";
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("announcer HTTP API through ExaBGP and GoBGP", () => {
  const lab = new Lab("announcer-http");
  const A = lab.addr(2);
  const backend = createServer((c) => c.destroy());
  const gocastBackend = createServer((c) => c.destroy());
  let rs: GoBgp;
  let exa: ExaBgp;
  let api = "";
  let backendAt = "";
  let gocastPort = 0;

  const routes = () => adjInCommunities(rs, A);
  /** Poll GoBGP's adj-in until `probe` holds; returns the ms since `t0`. */
  const until = (probe: (r: Record<string, string>) => boolean, what: string, t0: number): Promise<number> => untilAdjIn(rs, A, probe, what, { t0 });

  beforeAll(async () => {
    await new Promise<void>((r) => backend.listen(0, lab.addr(10), r));
    backendAt = `${lab.addr(10)}:${(backend.address() as AddressInfo).port}`;
    // GoCast's port:tcp:P monitor checks 127.0.0.1:P.
    await new Promise<void>((r) => gocastBackend.listen(0, "127.0.0.1", r));
    gocastPort = (gocastBackend.address() as AddressInfo).port;
    const port = await quietPort([A]);
    api = `http://${A}:${port}`;
    const config = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      config,
      [
        "next_hop: [192.0.2.2, 2001:db8::2]",
        "interval: 1s",
        "fast_interval: 100ms",
        "rise: 2",
        "fall: 2",
        `http: { listen: "${A}:${port}", token: ${TOKEN}, state_file: ${lab.dir}/apps.json }`,
        "apps:",
        `  - { name: static, vip: 10.255.255.1/32, ports: [22], checks: [{ tcp: "${backendAt}" }] }`,
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
    await until((r) => r["10.255.255.1/32"] === "12345:22", "the config app", performance.now());
    await waitFor(async () => (await fetch(`${api}/v1/apps`, { headers: auth })).ok, { what: "the API", timeout: 10_000 });
  });

  afterAll(async () => {
    await lab.close();
    await new Promise((r) => backend.close(r));
    await new Promise((r) => gocastBackend.close(r));
  });

  it("PUT /v1/apps/{name}: the app's VIP reaches GoBGP with its community; DELETE withdraws it", async () => {
    onTestFailed(() => console.log(lab.report()));
    const body = { vip: "10.255.255.10/32", ports: [8443, 443], checks: [{ tcp: backendAt }] };
    let t0 = performance.now();
    const r = await fetch(`${api}/v1/apps/web`, { method: "PUT", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    const announced = await until((x) => x["10.255.255.10/32"] === "12345:443 12345:8443", "web announced", t0);
    const apps = ((await (await fetch(`${api}/v1/apps`, { headers: auth })).json()) as { apps: { name: string; source: string; state: string; checks: { last: { ok: boolean } | null }[] }[] }).apps;
    expect(apps.map((a) => [a.name, a.source, a.state])).toEqual([
      ["static", "config", "UP"],
      ["web", "http", "UP"],
    ]);
    expect(apps[1]!.checks[0]!.last).toMatchObject({ ok: true });
    t0 = performance.now();
    expect((await fetch(`${api}/v1/apps/web`, { method: "DELETE", headers: auth })).status).toBe(204);
    const withdrawn = await until((x) => !("10.255.255.10/32" in x), "web withdrawn", t0);
    console.log(`HTTP API: PUT → route in GoBGP adj-in ${announced.toFixed(0)} ms (rise 2 × fast_interval 100ms); DELETE → withdrawn ${withdrawn.toFixed(0)} ms`);
    expect(await routes()).toEqual({ "10.255.255.1/32": "12345:22" });
  });

  it("GoCast's /register?name&vip&monitor=port:tcp:P announces with 12345:P; /unregister withdraws", async () => {
    onTestFailed(() => console.log(lab.report()));
    let t0 = performance.now();
    const r = await fetch(`${api}/register?name=gocast-app&vip=10.255.255.20/32&monitor=port:tcp:${gocastPort}`, { headers: auth });
    expect(r.status).toBe(200); // as GoCast answers
    const announced = await until((x) => x["10.255.255.20/32"] === `12345:${gocastPort}`, "the GoCast app announced", t0);
    t0 = performance.now();
    expect((await fetch(`${api}/unregister?name=gocast-app`, { headers: auth })).status).toBe(200);
    const withdrawn = await until((x) => !("10.255.255.20/32" in x), "the GoCast app withdrawn", t0);
    console.log(`GoCast API: /register → route in GoBGP ${announced.toFixed(0)} ms; /unregister → withdrawn ${withdrawn.toFixed(0)} ms`);
  });

  it("the config's apps are not the API's (409); no token, no entry (401); /metrics and /status follow", async () => {
    onTestFailed(() => console.log(lab.report()));
    expect((await fetch(`${api}/v1/apps/static`, { method: "DELETE", headers: auth })).status).toBe(409);
    expect((await fetch(`${api}/v1/apps/static`, { method: "PUT", headers: auth, body: '{"vip":"10.255.255.1/32"}' })).status).toBe(409);
    expect((await fetch(`${api}/v1/apps/x`, { method: "PUT", body: '{"vip":"10.255.255.30/32"}' })).status).toBe(401);
    const families = parsePrometheusText(await (await fetch(`${api}/metrics`, { headers: auth })).text()).families;
    const sample = (name: string, labels: Record<string, string> = {}) =>
      [...families.values()].flatMap((f) => f.samples).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(sample("exacast_announcer_vips_announced")).toBe(1);
    expect(sample("exacast_announcer_commands_written_total", { command: "announce" })).toBeGreaterThanOrEqual(3);
    expect(sample("exacast_announcer_commands_written_total", { command: "withdraw" })).toBeGreaterThanOrEqual(2);
    // Every command was answered `done` by the real ExaBGP.
    expect(sample("exacast_announcer_acks_total", { result: "done" })).toBe(sample("exacast_announcer_commands_written_total", { command: "announce" })! + sample("exacast_announcer_commands_written_total", { command: "withdraw" })!);
    expect(sample("exacast_announcer_http_requests_total", { route: "unauthorized", code: "401" })).toBe(1);
    const status = (await (await fetch(`${api}/status`, { headers: auth })).json()) as { announced: { vip: string }[]; http: { apps: number } };
    expect(status.announced.map((a) => a.vip)).toEqual(["10.255.255.1/32"]);
    expect(status.http.apps).toBe(0);
    expect(exa.log()).not.toMatch(/command_error/);
  });
});
