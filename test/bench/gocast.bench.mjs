// exacast-announcer beside GoCast (built from ../shared/peers/gocast-src.tar.gz
// with Debian's Go, vendored modules, offline), the same apps and interval, in one run, inside a
// network namespace this benchmark creates (GoCast puts each VIP on `lo`):
// - CPU and RSS per app over a window with every app healthy;
// - detection: an app's listener stops at a random moment, and the time until
//   the announcer writes its withdraw, and until GoBGP (GoCast's BGP peer, in
//   the namespace) sees GoCast's withdraw.
// Both check every second with no hysteresis (GoCast has none: rise 1, fall 1
// for the announcer). GoCast's port check binds the port (up when it cannot),
// the announcer's connects; each has its own listener per app, stopped together.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { quantile, sleep, underExabgp, until, usage } from "../harness/announcer-bench.mjs";
import { gocastBinary } from "../harness/dist/gocast.js";
import { fmt, median } from "./measure.mjs";

const APPS = Number(process.env.APPS ?? 50);
const WINDOW_S = Number(process.env.WINDOW_S ?? 20);
const TRIALS = Number(process.env.BENCH_GOCAST_TRIALS ?? 12);
const FIRST_PORT = 20_000;
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const announcerBin = here("../../packages/announcer/bin/exacast-announcer.js");
const NS = `exacast-bench-gc-${randomBytes(3).toString("hex")}`;
const RS = "10.99.0.1"; // GoBGP, GoCast's peer
const HOST = "10.99.0.2"; // GoCast's address
const vip = (i) => `10.255.${i >> 8}.${i & 255}/32`;

function miss(why) {
  console.log(`MISS  announcer beside GoCast: ${why}`);
  process.exit(1);
}

const ip = (...args) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
const inNs = (cmd, args, opts) => spawn("ip", ["netns", "exec", NS, cmd, ...args], opts);

// Built once from the source snapshot (vendored modules, offline), as the GoCast tests do.
const built = await gocastBinary();
if ("problem" in built) miss(built.problem);
const binary = built.bin;
try {
  ip("netns", "add", NS);
} catch (e) {
  miss(`cannot create a network namespace (${e.message.split("\n")[0]})`);
}
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-gocast-`);
const children = [];
const own = (c) => (children.push(c), c);
let ok = true;
try {
  ip("-n", NS, "link", "set", "lo", "up");
  // GoBGP's and GoCast's addresses, on the namespace's lo (GoBGP refuses 127/8
  // next-hops); GoCast does not bind its side of the session, so its
  // connections to GoBGP must leave from its own address.
  ip("-n", NS, "address", "add", `${RS}/32`, "dev", "lo");
  ip("-n", NS, "address", "add", `${HOST}/32`, "dev", "lo");
  ip("-n", NS, "route", "replace", "local", RS, "dev", "lo", "table", "local", "proto", "kernel", "scope", "host", "src", HOST);

  // The apps' listeners.
  const backends = own(inNs(process.execPath, [here("./lib/ns-backends.mjs"), String(APPS), String(FIRST_PORT)], { stdio: ["pipe", "pipe", "inherit"] }));
  const stopped = new Map();
  const backendLines = createInterface({ input: backends.stdout });
  await new Promise((resolve) => backendLines.once("line", resolve));
  backendLines.on("line", (l) => {
    const [, i, at] = l.split(" ");
    stopped.set(Number(i), Number(at));
  });
  const gocastPort = (i) => FIRST_PORT + i;
  const announcerPort = (i) => FIRST_PORT + APPS + i;

  // GoBGP, GoCast's peer, and a stream of what it learns.
  writeFileSync(
    `${dir}/gobgpd.toml`,
    `[global.config]\n  as = 64512\n  router-id = "${RS}"\n  local-address-list = ["${RS}"]\n` +
      `[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "${HOST}"\n    peer-as = 65000\n` +
      `  [neighbors.ebgp-multihop.config]\n    enabled = true\n    multihop-ttl = 255\n  [neighbors.transport.config]\n    passive-mode = true\n    local-address = "${RS}"\n`,
  );
  own(inNs("gobgpd", ["-f", `${dir}/gobgpd.toml`, "-p", "--api-hosts", "127.0.0.1:50051", "-l", "warn"], { stdio: "ignore" }));
  await until(() => spawnSync("ip", ["netns", "exec", NS, "gobgp", "-p", "50051", "global"]).status === 0, 15_000, "gobgpd in the namespace");
  const bgpSeen = new Map(); // prefix → [{ at, withdrawn }]
  const monitor = own(inNs("gobgp", ["-p", "50051", "monitor", "global", "rib", "-j"], { stdio: ["ignore", "pipe", "ignore"] }));
  createInterface({ input: monitor.stdout }).on("line", (l) => {
    const at = performance.timeOrigin + performance.now();
    let paths;
    try {
      paths = JSON.parse(l);
    } catch {
      return;
    }
    for (const p of Array.isArray(paths) ? paths : [paths]) {
      const prefix = p?.nlri?.prefix;
      if (prefix) bgpSeen.set(prefix, [...(bgpSeen.get(prefix) ?? []), { at, withdrawn: p.withdrawal === true }]);
    }
  });

  // GoCast and the announcer: the same apps, every second.
  writeFileSync(
    `${dir}/gocast.yaml`,
    [
      "agent:",
      "  listen_addr: 127.0.0.1:18080",
      "  monitor_interval: 1s",
      "  cleanup_timer: 15m",
      "bgp:",
      "  local_as: 65000",
      "  peer_as: 64512",
      `  local_ip: ${HOST}`,
      `  peer_ip: ${RS}`,
      "  communities: []",
      "  origin: igp",
      "apps:",
      ...Array.from({ length: APPS }, (_, i) => [`  - name: app${i}`, `    vip: ${vip(i)}`, `    vip_config: { bgp_communities: [ "12345:${gocastPort(i)}" ] }`, `    monitors: [ "port:tcp:${gocastPort(i)}" ]`]).flat(),
    ].join("\n") + "\n",
  );
  const gc = own(inNs(binary, ["-config", `${dir}/gocast.yaml`, "-logtostderr"], { stdio: ["ignore", "ignore", "ignore"] }));
  writeFileSync(
    `${dir}/announcer.json`,
    JSON.stringify({
      next_hop: "192.0.2.2",
      ack: false,
      interval: 1,
      fast_interval: 1,
      rise: 1,
      fall: 1,
      timeout: 1,
      apps: Array.from({ length: APPS }, (_, i) => ({ name: `app${i}`, vip: vip(i), ports: [announcerPort(i)], checks: [{ tcp: `127.0.0.1:${announcerPort(i)}` }] })),
    }),
  );
  const withdrawals = new Map();
  const ann = underExabgp("ip", ["netns", "exec", NS, process.execPath, announcerBin, "--config", `${dir}/announcer.json`], {
    ack: false,
    onCommand: (line) => {
      const m = /^withdraw route (\S+)/.exec(line);
      if (m) withdrawals.set(m[1], performance.timeOrigin + performance.now());
    },
  });
  own(ann.child);
  await until(() => ann.commands.filter((c) => c.startsWith("announce")).length >= APPS, 30_000, "the announcer announcing every app");
  await until(() => bgpSeen.size >= APPS, 60_000, "GoCast announcing every app to GoBGP");
  await sleep(2000);

  // CPU and RSS with every app healthy.
  const pids = { gocast: gc.pid, announcer: ann.child.pid };
  const before = { gocast: usage(pids.gocast), announcer: usage(pids.announcer) };
  await sleep(WINDOW_S * 1000);
  const after = { gocast: usage(pids.gocast), announcer: usage(pids.announcer) };
  const cost = (k) => ({ cpuMs: ((after[k].cpu + after[k].childCpu - before[k].cpu - before[k].childCpu) * 1000) / APPS, rssMb: after[k].rssKb / 1024 / APPS });
  const g = cost("gocast");
  const a = cost("announcer");

  // Detection: one app at a time, its listeners stopped at a random moment of the check period.
  const detect = { gocast: [], announcer: [] };
  for (let t = 0; t < Math.min(TRIALS, APPS); t++) {
    const i = t * Math.floor(APPS / Math.min(TRIALS, APPS));
    await sleep(300 + Math.random() * 1000);
    backends.stdin.write(`stop ${i}\n`);
    await until(() => stopped.has(i) && withdrawals.has(vip(i)) && bgpSeen.get(vip(i))?.some((e) => e.withdrawn), 15_000, `app${i}'s withdraw from both`);
    const at = stopped.get(i);
    detect.announcer.push(withdrawals.get(vip(i)) - at);
    detect.gocast.push(bgpSeen.get(vip(i)).find((e) => e.withdrawn).at - at);
  }

  console.log(`${APPS} apps, a tcp check each every 1 s, no hysteresis; window ${WINDOW_S} s; GoCast ${binary.split("/").pop()}, in network namespace ${NS}`);
  console.log(`  GoCast   : ${g.cpuMs.toFixed(2)} ms CPU per app over ${WINDOW_S} s, ${g.rssMb.toFixed(2)} MB RSS per app (${(g.rssMb * APPS).toFixed(0)} MB)`);
  console.log(`  announcer: ${a.cpuMs.toFixed(2)} ms CPU per app over ${WINDOW_S} s, ${a.rssMb.toFixed(2)} MB RSS per app (${(a.rssMb * APPS).toFixed(0)} MB)`);
  console.log(`  detection (listener stopped → withdraw), ${detect.gocast.length} trials: GoCast p50 ${fmt(median(detect.gocast))} ms, p90 ${fmt(quantile(detect.gocast, 0.9))} ms; announcer p50 ${fmt(median(detect.announcer))} ms, p90 ${fmt(quantile(detect.announcer, 0.9))} ms`);
  console.log(`INFO  CPU per app, GoCast / announcer: ${(g.cpuMs / a.cpuMs).toFixed(2)}×`);
  console.log(`INFO  RSS per app, GoCast / announcer: ${(g.rssMb / a.rssMb).toFixed(2)}×`);
  console.log(`INFO  detection p50, GoCast / announcer: ${(median(detect.gocast) / median(detect.announcer)).toFixed(2)}×`);
} catch (e) {
  console.log(`FAIL  announcer beside GoCast: ${e.message}`);
  ok = false;
} finally {
  for (const c of children.reverse()) c.kill("SIGKILL");
  await sleep(200);
  try {
    ip("netns", "del", NS);
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
