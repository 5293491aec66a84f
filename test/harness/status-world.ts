// A small real site for the status pages, on loopback: an announcer under
// ExaBGP with apps UP, DOWN, in maintenance, and one registered over the HTTP
// API whose check carries markup; a GoBGP route server; a listener under
// ExaBGP learning from it and, directly, from a second ExaBGP that announces
// a draining backend and can be stopped to leave stale routes. The chromium
// end-to-end test and scripts/screenshots.mjs both run it.

import { writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { Commander } from "./commander.js";
import type { ExaBgp } from "./exabgp.js";
import type { GoBgp } from "./gobgp.js";
import type { Lab } from "./lab.js";
import { bin, repoRoot } from "./paths.js";
import { freePort, quietPort } from "./ports.js";
import { waitFor } from "./wait.js";

/** What the hostile app's http check looks for: it shows in the check's description and its failure. */
export const HOSTILE_TEXT = `<script>alert("exacast")</script>`;
export const STATUS_TOKEN = "status-page-token-0123456789";

export interface StatusWorld {
  rs: GoBgp;
  /** The announcer's endpoint, with the token as Basic credentials in the URL (as a browser sends it). */
  announcerUrl: string;
  announcerBase: string;
  listenerUrl: string;
  /** The ExaBGP peering directly with the listener; stop it to leave stale routes. */
  peer: ExaBgp;
  peerAddress: string;
}

const json = async <T>(url: string, headers: Record<string, string> = {}): Promise<T> => (await fetch(url, { headers })).json() as Promise<T>;
const auth = { Authorization: `Bearer ${STATUS_TOKEN}` };

interface AppView {
  name: string;
  state: string;
  checks: { last: unknown }[];
}
interface ListenerView {
  backends: Record<string, { prefix: string }[]>;
  templates: { last: unknown }[];
}

export async function statusWorld(lab: Lab): Promise<StatusWorld> {
  const A = lab.addr(2); // announcer
  const B = lab.addr(3); // listener
  const C = lab.addr(4); // a peer of the listener's own
  const S = lab.addr(10); // the apps' backends

  // The backends: a TCP service for `web`, a web page (without the text the hostile check wants).
  const tcp = createServer((c) => c.destroy());
  const web = createHttpServer((_q, r) => r.end("hello\n"));
  await new Promise<void>((r) => tcp.listen(0, S, r));
  await new Promise<void>((r) => web.listen(0, S, r));
  lab.onClose(() => new Promise((r) => tcp.close(() => r())));
  lab.onClose(() => new Promise((r) => web.close(() => r())));
  const tcpAt = `${S}:${(tcp.address() as AddressInfo).port}`;
  const webAt = `http://${S}:${(web.address() as AddressInfo).port}/healthz`;
  const closedAt = `${S}:${await freePort(S)}`;

  const apiPort = await quietPort([A]);
  const listenerPort = await freePort(B);
  const peerPort = await freePort(C);
  const maintenance = `${lab.dir}/maintenance`;
  writeFileSync(maintenance, "");
  const announcerCfg = `${lab.dir}/announcer.yaml`;
  writeFileSync(
    announcerCfg,
    [
      "next_hop: [192.0.2.2, 2001:db8::2]",
      "interval: 1s",
      "fast_interval: 100ms",
      "rise: 2",
      "fall: 2",
      `http: { listen: "${A}:${apiPort}", token: ${STATUS_TOKEN} }`,
      "apps:",
      `  - { name: web, vips: [10.255.255.1/32, "2001:db8::1/128"], ports: [443, 80], local_pref: 200, checks: [{ tcp: "${tcpAt}" }] }`,
      `  - { name: api, vip: 10.255.255.2/32, ports: [8080], checks: [{ tcp: "${closedAt}" }] }`,
      `  - { name: batch, vip: 10.255.255.1/32, ports: [9000], checks: [{ file_absent: ${maintenance} }, { tcp: "${tcpAt}" }] }`,
    ].join("\n") + "\n",
  );
  const listenerCfg = `${lab.dir}/listener.yaml`;
  writeFileSync(
    listenerCfg,
    [
      "debounce: 50ms",
      "stale_grace: 5m",
      `http: { listen: "${B}:${listenerPort}" }`,
      "templates:",
      `  - { source: ${repoRoot}/examples/seed.ejs, destination: ${lab.dir}/services.txt }`,
      `  - { source: ${repoRoot}/examples/haproxy.cfg.ejs, destination: ${lab.dir}/haproxy.cfg, check: '/usr/sbin/haproxy -c -q -f "$EXACAST_CANDIDATE"' }`,
      `  - { name: nginx.conf, source: ${repoRoot}/examples/seed.ejs, destination: ${lab.dir}/nginx.conf, check: 'echo "nginx: [emerg] <upstream> has no servers" >&2; exit 1' }`,
    ].join("\n") + "\n",
  );

  const rs = await lab.gobgp({ neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
  const cmd: Commander = await lab.commander("peer");
  const peer = lab.exabgp({
    name: "peer",
    address: C,
    asn: 65002,
    listenPort: peerPort,
    neighbors: [{ address: B, peerAs: 65001, passive: true }],
    processes: [{ name: "cmd", run: cmd.run, encoder: "text" }],
  });
  lab.exabgp({
    name: "announcer",
    address: A,
    asn: 65000,
    neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
    processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", announcerCfg], encoder: "text" }],
  });
  lab.exabgp({
    name: "listener",
    address: B,
    asn: 65001,
    neighbors: [
      { address: rs.address, peerAs: 64999, connect: rs.port },
      { address: C, peerAs: 65002, connect: peerPort },
    ],
    processes: [{ name: "listener", run: [...bin("exacast-listener"), "--config", listenerCfg], encoder: "json" }],
  });
  await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B), cmd.connected()]);
  await waitFor(() => cmd.received.some((l) => /^neighbor \S+ up$/.test(l)), { what: "the listener's direct peer up", timeout: 30_000 });
  await cmd.command(
    "announce route 10.255.255.7/32 next-hop 192.0.2.7 med 10 community [12345:443]",
    "announce route 10.255.255.8/32 next-hop 192.0.2.8 community [12345:443 65535:0]",
  );

  const announcerBase = `http://${A}:${apiPort}`;
  await waitFor(async () => (await fetch(`${announcerBase}/status`, { headers: auth })).ok, { what: "the announcer's API", timeout: 20_000 });
  const hostile = { vip: "10.255.255.3/32", ports: [8443], checks: [{ http: { url: webAt, contains: HOSTILE_TEXT } }] };
  const put = await fetch(`${announcerBase}/v1/apps/hostile`, { method: "PUT", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(hostile) });
  if (put.status !== 201) throw new Error(`PUT hostile: ${put.status} ${await put.text()}`);

  const settled = { web: "UP", api: "DOWN", batch: "DISABLED", hostile: "DOWN" } as Record<string, string>;
  await waitFor(
    async () => {
      const apps = (await json<{ apps: AppView[] }>(`${announcerBase}/status`, auth)).apps;
      return apps.length === 4 && apps.every((a) => settled[a.name] === a.state && a.checks.some((c) => c.last !== null));
    },
    { what: "the announcer's apps settled", timeout: 30_000 },
  );
  const listenerUrl = `http://${B}:${listenerPort}/`;
  await waitFor(
    async () => {
      const s = await json<ListenerView>(`${listenerUrl}status`);
      const on443 = (s.backends[443] ?? []).map((b) => b.prefix);
      return ["10.255.255.1/32", "2001:db8::1/128", "10.255.255.7/32", "10.255.255.8/32"].every((p) => on443.includes(p)) && s.templates.every((t) => t.last !== null);
    },
    { what: "the listener's services and renders", timeout: 30_000 },
  );
  return { rs, announcerUrl: `http://admin:${STATUS_TOKEN}@${A}:${apiPort}/`, announcerBase, listenerUrl, peer, peerAddress: C };
}
