// Both programs running as an operator would look at them, the test playing
// ExaBGP: an announcer (HTTP API with a token; one app UP on a real TCP
// backend, one DOWN; Consul configured but unreachable, so its series and
// its outage show) and a listener (HTTP; routes from two neighbors, one
// template written, one whose check fails). For the status and ops tests.

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { announce, state } from "../../packages/listener/test/exa-lines.js";
import { AnnouncerProcess } from "../harness/announcer.js";
import { freePort, ListenerProcess, quietPort, waitFor } from "../harness/index.js";
import type { Lab } from "../harness/index.js";

export const TOKEN = "operators-test-token";

export interface RunningPrograms {
  announcer: AnnouncerProcess;
  listener: ListenerProcess;
  announcerConfig: string;
  listenerConfig: string;
  announcerUrl: string;
  listenerUrl: string;
  rendered: string;
  backend: Server;
}

export async function startPrograms(lab: Lab): Promise<RunningPrograms> {
  const host = lab.addr(1);
  const backend = createServer((c) => c.destroy());
  await new Promise<void>((r) => backend.listen(0, host, r));
  const backendPort = (backend.address() as AddressInfo).port;
  lab.onClose(() => new Promise((r) => backend.close(() => r())));
  const deadPort = await freePort(host);
  const [aPort, lPort, consulPort] = [await quietPort([host]), await quietPort([host]), await freePort(host)];

  const announcerConfig = `${lab.dir}/announcer.yaml`;
  writeFileSync(
    announcerConfig,
    [
      "next_hop: 192.0.2.2",
      "interval: 300ms",
      "fast_interval: 100ms",
      "rise: 1",
      "fall: 1",
      `http: { listen: "${host}:${aPort}", token: ${TOKEN} }`,
      `consul: { address: "${host}:${consulPort}", node: edge1, interval: 200ms }`,
      "apps:",
      `  - { name: web, vip: 10.255.255.1/32, ports: [443, 80], checks: [{ tcp: "${host}:${backendPort}" }] }`,
      `  - { name: dns, vip: 10.255.255.53/32, ports: [53], checks: [{ tcp: "${host}:${deadPort}" }] }`,
    ].join("\n") + "\n",
  );
  const announcer = new AnnouncerProcess(lab, ["--config", announcerConfig]);

  const rendered = `${lab.dir}/services.txt`;
  const template = `${lab.dir}/services.ejs`;
  writeFileSync(template, "<% for (const [port, ips] of Object.entries(services)) { %><%= port %> <%= ips.join(' ') %>\n<% } %>");
  const listenerConfig = `${lab.dir}/listener.yaml`;
  writeFileSync(
    listenerConfig,
    [
      "debounce: 20ms",
      "max_wait: 100ms",
      "startup_wait: 100ms",
      "stale_grace: 1h",
      `http: { listen: "${host}:${lPort}" }`,
      "templates:",
      `  - { name: services, source: ${template}, destination: ${rendered} }`,
      `  - { name: refused, source: ${template}, destination: ${lab.dir}/refused.txt, check: "exit 3" }`,
    ].join("\n") + "\n",
  );
  const listener = new ListenerProcess(lab, ["--config", listenerConfig]);
  listener.write(
    state("up", "127.0.0.2"),
    announce({ peer: "127.0.0.2", prefixes: ["10.255.255.1/32"], communities: [[12345, 443], [12345, 80]] }),
    state("up", "127.0.0.3"),
    announce({ peer: "127.0.0.3", prefixes: ["10.255.255.2/32"], communities: [[12345, 443]] }),
    announce({ peer: "127.0.0.3", prefixes: ["2001:db8::2/128"], communities: [[12345, 443]] }),
    // A session lost with stale_grace: its routes stay, stale.
    state("down", "127.0.0.3"),
  );

  await announcer.waitLine(/^announce route 10\.255\.255\.1\/32 /);
  const listenerUrl = `http://${host}:${lPort}`;
  await waitFor(
    async () => {
      const s = (await (await fetch(`${listenerUrl}/status`)).json()) as { templates: { last: unknown }[] };
      return s.templates.every((t) => t.last !== null);
    },
    { what: "the listener's first render", timeout: 10_000 },
  );
  return { announcer, listener, announcerConfig, listenerConfig, announcerUrl: `http://${host}:${aPort}`, listenerUrl, rendered, backend };
}
