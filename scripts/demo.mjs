#!/usr/bin/env node
// `npm run demo`: the whole exacast loop on loopback, as it happens.
//
//   server-1: HTTP backend + ExaBGP + exacast-announcer ─┐
//   server-2: HTTP backend + ExaBGP + exacast-announcer ─┼─ GoBGP route server
//   load balancer: ExaBGP + exacast-listener → haproxy.cfg → HAProxy ─┘
//
// Each server announces its own address (a /32 standing for an anycast VIP)
// with community 12345:<port> while its backend answers its health check. The
// listener turns the routes into HAProxy's config and reloads HAProxy. Then a
// backend stops, and traffic moves to the survivor; then it comes back.
// The ExaBGP configs are the shipped exabgp/*.conf, adapted to the lab.

import { readFileSync } from "node:fs";
import { Lab, bin, quietPort, repoRoot, waitFor } from "../test/harness/dist/index.js";
import { Backend, run, spread, startHaproxy, writeYaml } from "./lib/demo-world.mjs";
import { adaptExabgpConfig } from "./lib/exabgp-config.mjs";

const t0 = Date.now();
const say = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
const indent = (text) => text.trimEnd().split("\n").map((l) => `         ${l}`).join("\n");
const lab = new Lab("demo");
let finished = false;

async function cleanup(code) {
  if (finished) return;
  finished = true;
  await lab.close();
  say(code === 0 ? "cleaned up every process; demo OK" : "cleaned up every process");
  process.exit(code);
}
process.on("SIGINT", () => void cleanup(130));
process.on("SIGTERM", () => void cleanup(143));
const deadline = setTimeout(() => {
  console.error("demo: took longer than 90 s, giving up");
  console.error(lab.report());
  void cleanup(1);
}, 90_000);

const read = (f) => {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return undefined;
  }
};
const servicesMap = (file) => JSON.parse(read(file) ?? '{"services":{}}').services;
const backendLines = (cfg) => (read(cfg) ?? "").split("\n").filter((l) => /^\s+server /.test(l)).join("\n");
/** The installed haproxy.cfg once its servers are exactly `addrs`. */
const configWith = (cfg, addrs) =>
  waitFor(() => {
    const lines = backendLines(cfg);
    const got = [...lines.matchAll(/server (\S+) /g)].map((m) => m[1]);
    return JSON.stringify(got) === JSON.stringify(addrs) ? lines : undefined;
  }, { what: `haproxy.cfg with servers ${addrs.join(", ")}`, timeout: 20_000 });

async function main() {
  const S1 = lab.addr(11);
  const S2 = lab.addr(12);
  const LB = lab.addr(20);
  const port = await quietPort(["127.0.0.1", S1, S2]);
  const statsPort = await quietPort(["127.0.0.1"]);
  say(`lab: 127.0.0.0/8 only — servers ${S1}, ${S2}; load balancer ${LB}; service port ${port}`);

  // The route server knows its three clients.
  const gobgp = await lab.gobgp({
    neighbors: [
      { address: S1, peerAs: 65001 },
      { address: S2, peerAs: 65002 },
      { address: LB, peerAs: 65010 },
    ],
  });
  say(`route server: GoBGP AS 64999 on ${gobgp.address}:${gobgp.port}`);

  const announcerConf = read(`${repoRoot}/exabgp/announcer.conf`);
  const servers = [];
  for (const [i, addr] of [S1, S2].entries()) {
    const name = `server-${i + 1}`;
    const backend = new Backend(name, addr, port);
    await backend.start();
    const yaml = `${lab.dir}/${name}.yaml`;
    writeYaml(yaml, [
      "community_asn: 12345",
      // GoBGP refuses a loopback next-hop: a documentation address, an attribute only.
      `next_hop: 192.0.2.${11 + i}`,
      "interval: 1s",
      "fast_interval: 200ms",
      "timeout: 500ms",
      "rise: 2",
      "fall: 2",
      "apps:",
      "  - name: web",
      `    vip: ${addr}/32`,
      `    ports: [${port}]`,
      "    checks:",
      `      - http: { url: "http://${addr}:${port}/", status: 200 }`,
    ]);
    const exabgp = lab.exabgp({
      name,
      address: addr,
      asn: 65001 + i,
      neighbors: [],
      processes: [],
      configText: adaptExabgpConfig(announcerConf, {
        neighbor: gobgp.address,
        address: addr,
        localAs: 65001 + i,
        peerAs: 64999,
        connect: gobgp.port,
        run: { "exacast-announcer": `${bin("exacast-announcer").join(" ")} --config ${yaml}` },
      }),
    });
    servers.push({ name, addr, backend, exabgp });
    say(`${name}: HTTP backend on ${addr}:${port}, ExaBGP AS ${65001 + i} running exacast-announcer (exabgp/announcer.conf)`);
  }

  // The load balancer: the listener renders the shipped HAProxy template.
  const cfg = `${lab.dir}/haproxy.cfg`;
  const pidFile = `${lab.dir}/haproxy.pid`;
  const stateFile = `${lab.dir}/services.json`;
  const vars = { bind: "127.0.0.1", stats: `127.0.0.1:${statsPort}`, maxconn: 1000 };
  const first = await run(process.execPath, [
    bin("exacast-listener")[1],
    "render",
    "--input",
    "/dev/null",
    "--template",
    `${repoRoot}/examples/haproxy.cfg.ejs`,
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}=${v}`]),
  ]);
  if (first.code !== 0) throw new Error(`initial render failed: ${first.stderr}`);
  writeYaml(cfg, [first.stdout.trimEnd()]);
  const haproxy = startHaproxy(lab, cfg, pidFile);
  await waitFor(() => read(pidFile), { what: "HAProxy's pid file" });
  const listenerYaml = `${lab.dir}/listener.yaml`;
  writeYaml(listenerYaml, [
    "community_asn: 12345",
    "debounce: 100ms",
    "max_wait: 1s",
    `state_file: ${stateFile}`,
    "templates:",
    `  - source: ${repoRoot}/examples/haproxy.cfg.ejs`,
    `    destination: ${cfg}`,
    `    check: haproxy -c -q -f "$EXACAST_CANDIDATE"`,
    `    reload: kill -USR2 "$(cat ${pidFile})"`,
    "    backup: true",
    `    vars: { bind: "${vars.bind}", stats: "${vars.stats}", maxconn: ${vars.maxconn} }`,
  ]);
  lab.exabgp({
    name: "load-balancer",
    address: LB,
    asn: 65010,
    neighbors: [],
    processes: [],
    configText: adaptExabgpConfig(read(`${repoRoot}/exabgp/listener.conf`), {
      neighbor: gobgp.address,
      address: LB,
      localAs: 65010,
      peerAs: 64999,
      connect: gobgp.port,
      run: { "exacast-listener": `${bin("exacast-listener").join(" ")} --config ${listenerYaml}` },
    }),
  });
  say(`load balancer: ExaBGP AS 65010 running exacast-listener (exabgp/listener.conf) → ${cfg}; HAProxy pid ${haproxy.pid} on 127.0.0.1:${port}`);

  for (const [who, addr] of [["server-1", S1], ["server-2", S2], ["load balancer", LB]]) {
    await gobgp.waitEstablished(addr);
    say(`BGP session ${who} (${addr}) ⇄ route server: established`);
  }

  const both = [`${S1}/32`, `${S2}/32`];
  const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  await waitFor(() => sameList(servicesMap(stateFile)[port], both), { what: "both servers in the services map", timeout: 30_000 });
  say(`services map: ${JSON.stringify(servicesMap(stateFile))}`);
  say(`haproxy.cfg (rendered, checked with haproxy -c, installed, HAProxy reloaded):\n${indent(await configWith(cfg, [S1, S2]))}`);

  const balanced = (c) => (c["server-1"] ?? 0) > 0 && (c["server-2"] ?? 0) > 0;
  const before = await waitFor(async () => {
    const c = await spread("127.0.0.1", port, 10);
    return balanced(c) ? c : undefined;
  }, { what: "requests through HAProxy reaching both backends", timeout: 20_000, interval: 200 });
  say(`10 requests through HAProxy 127.0.0.1:${port}: ${JSON.stringify(before)}`);

  // Failover.
  await servers[0].backend.stop();
  const stopped = Date.now();
  say(`server-1: backend stopped`);
  await waitFor(async () => !(await gobgp.adjIn(S1)).some((r) => r.prefix === `${S1}/32`), { what: "server-1's route withdrawn", timeout: 20_000 });
  say(`server-1: exacast-announcer withdrew ${S1}/32 after 2 failed checks (${((Date.now() - stopped) / 1000).toFixed(1)} s after the stop)`);
  await waitFor(() => sameList(servicesMap(stateFile)[port], [`${S2}/32`]), { what: "services map without server-1", timeout: 20_000 });
  say(`services map: ${JSON.stringify(servicesMap(stateFile))}`);
  say(`haproxy.cfg now:\n${indent(await configWith(cfg, [S2]))}`);
  const after = await waitFor(async () => {
    const c = await spread("127.0.0.1", port, 10);
    return c["server-2"] === 10 ? c : undefined;
  }, { what: "every request on the survivor", timeout: 20_000, interval: 200 });
  say(`10 requests through HAProxy: ${JSON.stringify(after)} — failover complete`);

  // Recovery.
  await servers[0].backend.start();
  say("server-1: backend started again");
  await waitFor(() => sameList(servicesMap(stateFile)[port], both), { what: "server-1 back in the services map", timeout: 20_000 });
  say(`services map: ${JSON.stringify(servicesMap(stateFile))} (server-1 rose after 2 good checks)`);
  const back = await waitFor(async () => {
    const c = await spread("127.0.0.1", port, 10);
    return balanced(c) ? c : undefined;
  }, { what: "requests reaching both backends again", timeout: 20_000, interval: 200 });
  say(`10 requests through HAProxy: ${JSON.stringify(back)}`);
  say(`whole loop: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().then(
  () => {
    clearTimeout(deadline);
    return cleanup(0);
  },
  (e) => {
    clearTimeout(deadline);
    console.error(`demo failed: ${e.message}`);
    console.error(lab.report(30));
    return cleanup(1);
  },
);
