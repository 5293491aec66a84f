// Scale through real daemons: 10,000 hosts × 10 ports = 100k service routes,
// announced by two ExaBGP injectors into GoBGP (a route server), received by
// the listener's ExaBGP, which runs the listener and, beside it, a plain
// recorder. Side by side in one run:
// - time from the first route ExaBGP delivered until the listener's file holds
//   all 100k, against until the recorder had received every route (≤ 1.2×);
// - the listener's peak RSS (≤ 300 MB);
// - renders of that map while routes flow (startup_wait 2s forces some): while
//   the listener's main thread is busiest (an HTTP probe waits longest), ExaBGP
//   keeps writing to the recorder beside it, more than a pipe holds: stdin is
//   read on its own thread, so ExaBGP never blocks on the listener;
// - then the injector of 1,000 hosts dies: the listener's file is right
//   within 1 s of the recorder having every withdraw.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { fileURLToPath } from "node:url";
import { Lab, freePort, waitFor } from "../harness/dist/index.js";
import { fmt, verdict } from "./measure.mjs";

const HOSTS = Number(process.env.BENCH_SCALE_HOSTS ?? 10_000);
const PORTS = 10;
const DOWN = HOSTS / 10;
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const listenerBin = here("../../packages/listener/bin/exacast-listener.js");
const now = () => performance.timeOrigin + performance.now();

const lab = new Lab("bench-scale");
let ok = true;
try {
  const [rsAddr, injAAddr, injBAddr, hostAddr] = [1, 2, 3, 4].map((i) => lab.addr(i));
  const rs = await lab.gobgp({
    neighbors: [
      { address: injAAddr, peerAs: 65002 },
      { address: injBAddr, peerAs: 65003 },
      { address: hostAddr, peerAs: 65001 },
    ],
  });

  // The listener's host: ExaBGP running the listener and the recorder.
  const out = `${lab.dir}/services.txt`;
  const recording = `${lab.dir}/recorder.ndjson`;
  const httpPort = await freePort(hostAddr);
  const template = `${lab.dir}/services.ejs`;
  writeFileSync(template, "<% for (const p of ports) for (const b of backends[p]) { %><%= p %> <%= b.prefix %>\n<% } %>");
  const config = `${lab.dir}/listener.yaml`;
  writeFileSync(
    config,
    `startup_wait: 2s\nhttp:\n  listen: ${hostAddr}:${httpPort}\ntemplates:\n  - source: ${template}\n    destination: ${out}\n`,
  );
  lab.exabgp({
    name: "listener-host",
    address: hostAddr,
    asn: 65001,
    neighbors: [{ address: rsAddr, peerAs: 64999, connect: rs.port }],
    processes: [
      { name: "listener", run: [process.execPath, listenerBin, "--config", config], encoder: "json" },
      { name: "recorder", run: [process.execPath, here("./lib/timed-recorder.mjs"), recording], encoder: "json" },
    ],
  });
  await rs.waitEstablished(hostAddr, 60_000);
  const listenerPid = await waitFor(() => pidOf(config), { what: "the listener's pid", timeout: 10_000 });

  // Main-thread probe: how long an HTTP request waits for the listener (a 404 costs nothing to answer).
  const probes = [];
  let probing = true;
  const probe = async () => {
    while (probing) {
      const t = now();
      await new Promise((resolve) => get({ host: hostAddr, port: httpPort, path: "/bench-probe" }, (res) => res.resume().on("end", resolve)).on("error", resolve));
      probes.push({ at: t, ms: now() - t, rssKb: vmRssKb(listenerPid) });
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const probing$ = probe();

  const injector = (name, address, asn, first, count) =>
    lab.exabgp({
      name,
      address,
      asn,
      env: { "exabgp.api.ack": "false" },
      neighbors: [{ address: rsAddr, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "inject", run: [process.execPath, here("./lib/inject-routes.mjs"), String(first), String(count), String(PORTS)], encoder: "text", neighborChanges: false }],
    });
  const tStart = now();
  injector("inject-a", injAAddr, 65002, 0, HOSTS - DOWN);
  const injB = injector("inject-b", injBAddr, 65003, HOSTS - DOWN, DOWN);

  const full = expected(0, HOSTS);
  const tListenerFull = await waitForFile(out, full, 300_000);
  const recorded = await waitFor(() => analyse(recording, HOSTS * PORTS), { what: "the recorder to have every route", timeout: 60_000, interval: 100 });
  const flood = { recorder: recorded.complete - recorded.first, listener: tListenerFull - recorded.first };
  // The listener's main-thread stalls (an HTTP probe waiting ≥ 100 ms) while
  // routes flowed, and what ExaBGP delivered to the recorder during each: were
  // ExaBGP blocked on the listener's stdin, no stall could see more than a
  // pipe holds.
  const stalls = probes
    .filter((p) => p.at >= recorded.first && p.at <= tListenerFull && p.ms >= 100)
    .map((p) => ({ ...p, bytes: recorded.arrivals.filter(([at]) => at >= p.at && at <= p.at + p.ms).reduce((n, [, b]) => n + b, 0) }));
  const longest = stalls.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, bytes: 0 });
  const most = stalls.reduce((a, b) => (b.bytes > a.bytes ? b : a), { ms: 0, bytes: 0 });

  // 1,000 hosts die at once: their injector is killed, GoBGP withdraws their routes.
  const tKill = now();
  await injB.kill();
  const tListenerDown = await waitForFile(out, expected(0, HOSTS - DOWN), 120_000);
  const down = await waitFor(() => analyse(recording, HOSTS * PORTS, tKill, expectedDown()), { what: "the recorder to have every withdraw", timeout: 60_000, interval: 100 });
  probing = false;
  await probing$;
  const rssMb = vmHwmKb(listenerPid) / 1024;

  console.log(`${fmt(HOSTS)} hosts × ${PORTS} ports = ${fmt(HOSTS * PORTS)} service routes: 2 ExaBGP injectors → GoBGP (route server) → ExaBGP → listener + recorder`);
  console.log(`  ExaBGP delivered the first route ${fmt(recorded.first - tStart)} ms after the injectors started; ${fmt(recorded.arrivals.length)} lines, ${fmt(recorded.bytes / 1e6)} MB`);
  console.log(`  recorder had every route after ${fmt(flood.recorder)} ms; the listener's file held all ${fmt(HOSTS * PORTS)} after ${fmt(flood.listener)} ms`);
  console.log(`  while routes flowed the listener rendered the growing map: ${stalls.length} main-thread stalls of 100 ms or more (an HTTP probe waiting), the longest ${fmt(longest.ms)} ms; during one of ${fmt(most.ms)} ms ExaBGP delivered ${fmt(most.bytes / 1024)} KB to the recorder beside it, more than the listener's pipe holds (64 KB): stdin is read on its own thread, ExaBGP never waited for the listener`);
  const peakAt = probes.reduce((a, b) => (b.rssKb > a.rssKb ? b : a), { rssKb: 0, at: 0 });
  console.log(`  listener RSS: ${fmt(probes.filter((p) => p.at <= tListenerFull).at(-1)?.rssKb / 1024)} MB when the file was complete; highest sampled ${fmt(peakAt.rssKb / 1024)} MB, ${peakAt.at < tListenerFull ? "during the flood" : "after it"}`);
  console.log(`  ${fmt(DOWN)} hosts (${fmt(DOWN * PORTS)} routes) withdrawn at once: recorder had every withdraw ${fmt(down.complete - tKill)} ms after the kill, the listener's file was right ${fmt(tListenerDown - tKill)} ms after`);
  ok = verdict("time to the complete file: listener / recorder", flood.listener / flood.recorder, 1.2, { higherIsBetter: false, unit: "×" }) && ok;
  ok = verdict("listener peak RSS", Math.round(rssMb), 300, { higherIsBetter: false, unit: " MB" }) && ok;
  ok = verdict("most KB ExaBGP delivered during one of the listener's main-thread stalls", Math.round(most.bytes / 1024), 64, { unit: " KB" }) && ok;
  ok = verdict("after the withdraw: listener's file right, after the recorder", Math.round(tListenerDown - down.complete), 1000, { higherIsBetter: false, unit: " ms" }) && ok;
} catch (e) {
  console.log(`FAIL  scale benchmark: ${e.message}`);
  console.log(lab.report(20));
  ok = false;
} finally {
  await lab.close();
}
process.exit(ok ? 0 : 1);

/** The listener's file for hosts [from, to): port, then prefix, as the template prints them. */
function expected(from, to) {
  let text = "";
  for (let k = 0; k < PORTS; k++) for (let h = from; h < to; h++) text += `${8000 + k} 10.${h >> 8}.${h & 255}.${k + 1}/32\n`;
  return text;
}

function expectedDown() {
  const s = new Set();
  for (let h = HOSTS - DOWN; h < HOSTS; h++) for (let k = 0; k < PORTS; k++) s.add(`10.${h >> 8}.${h & 255}.${k + 1}/32`);
  return s;
}

/** Poll `file` until it reads `want`; the wall-clock time it was first seen so. */
async function waitForFile(file, want, timeout) {
  let size = -1;
  return waitFor(
    () => {
      let st;
      try {
        st = statSync(file);
      } catch {
        return undefined;
      }
      if (st.size === size || st.size !== want.length) return (size = st.size), undefined;
      size = st.size;
      return readFileSync(file, "utf8") === want ? now() : undefined;
    },
    { what: `${file} to hold the expected routes`, timeout, interval: 20 },
  );
}

/**
 * The recorder's file: when the first of our routes arrived, when the last of
 * `total` did (or, with `since`, when the last withdraw of `gone` did), and
 * when each update line arrived (and its length). Undefined until complete.
 */
function analyse(file, total, since, gone) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const seen = new Set();
  const left = gone && new Set(gone);
  let first;
  let complete;
  const arrivals = [];
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp === -1) continue;
    const at = Number(line.slice(0, sp));
    const msg = JSON.parse(line.slice(sp + 1));
    const update = msg.neighbor?.message?.update;
    if (!update) continue;
    arrivals.push([at, line.length]);
    for (const byNh of Object.values(update.announce ?? {})) {
      for (const list of Object.values(byNh)) for (const n of list) seen.add(n.nlri ?? n);
    }
    if (first === undefined && seen.size > 0) first = at;
    if (!gone && complete === undefined && seen.size >= total) complete = at;
    if (gone && at >= since) {
      for (const list of Object.values(update.withdraw ?? {})) for (const n of list) left.delete(n.nlri ?? n);
      if (left.size === 0 && complete === undefined) complete = at;
    }
  }
  return complete === undefined ? undefined : { first, complete, arrivals, bytes: text.length };
}

function pidOf(configFile) {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes(listenerBin) && cmd.includes(configFile)) return Number(pid);
    } catch {
      // gone
    }
  }
  return undefined;
}

function vmRssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function vmHwmKb(pid) {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
