// 2,000 apps, each a tcp check every second against its own loopback
// listener, for 30 s: CPU of the announcer process (utime+stime from /proc)
// ≤ 10% of one core, RSS ≤ 150 MB, check latency p50/p99. Beside it, two
// floors: bare node loops making the same 2,000 connections a second and
// nothing else, one with net.connect (the plain way), one with the TCP
// handle the announcer uses. On loopback the kernel does both ends of every
// handshake in the connecting process, so most of the floor is system time.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { listeners, sleep, underExabgp, until, usage } from "../harness/announcer-bench.mjs";
import { verdict } from "./measure.mjs";

const APPS = Number(process.env.APPS ?? 2000);
const WINDOW_S = Number(process.env.WINDOW_S ?? 30);
const FLOOR_S = Math.min(WINDOW_S, 15);
const bin = fileURLToPath(new URL("../../packages/announcer/bin/exacast-announcer.js", import.meta.url));
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-load-`);

const FLOOR_NET = `
const net = await import("node:net");
const ports = JSON.parse(process.argv[1]);
for (const port of ports) {
  const run = () => {
    const s = net.connect({ host: "127.0.0.1", port });
    const t = setTimeout(() => s.destroy(), 1000);
    s.once("connect", () => { clearTimeout(t); s.destroy(); setTimeout(run, 1000); });
    s.once("error", () => { clearTimeout(t); setTimeout(run, 1000); });
  };
  setTimeout(run, Math.random() * 1000);
}`;
const FLOOR_HANDLE = `
const { TCP, TCPConnectWrap, constants } = process.binding("tcp_wrap");
const ports = JSON.parse(process.argv[1]);
for (const port of ports) {
  const run = () => {
    const h = new TCP(constants.SOCKET);
    const req = new TCPConnectWrap();
    const t = setTimeout(() => h.close(), 1000);
    req.oncomplete = () => { clearTimeout(t); h.close(); setTimeout(run, 1000); };
    h.connect(req, "127.0.0.1", port);
  };
  setTimeout(run, Math.random() * 1000);
}`;

async function floor(script, ports) {
  const p = spawn(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(ports)], { stdio: "inherit" });
  await sleep(2000);
  const f = await measure(p.pid, FLOOR_S);
  p.kill("SIGKILL");
  return f;
}

/** The same connections from C (no event loop): the kernel's share, when a compiler is there. */
async function cFloor(ports) {
  const exe = `${dir}/tcp-connect-floor`;
  const cc = spawnSync("cc", ["-O2", "-o", exe, fileURLToPath(new URL("tcp-connect-floor.c", import.meta.url))], { stdio: "ignore" });
  if (cc.status !== 0) return null;
  const p = spawn(exe, [String(FLOOR_S + 5), String(APPS), ...ports.map(String)], { stdio: "ignore" });
  await sleep(2000);
  const f = await measure(p.pid, FLOOR_S);
  p.kill("SIGKILL");
  return f;
}

async function measure(pid, seconds) {
  const a = usage(pid);
  const t = performance.now();
  await sleep(seconds * 1000);
  const b = usage(pid);
  const wall = (performance.now() - t) / 1000;
  return {
    cpuPct: (100 * (b.cpu - a.cpu)) / wall,
    sysPct: (100 * (b.sys - a.sys)) / wall,
    cpuSeconds: b.cpu - a.cpu,
    hwmMb: b.hwmKb / 1024,
    rssMb: b.rssKb / 1024,
  };
}

const backends = await listeners(APPS);
const apps = backends.ports.map((port, i) => ({
  name: `app${i}`,
  vip: `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`,
  ports: [port],
  checks: [{ tcp: `127.0.0.1:${port}` }],
}));
const config = `${dir}/announcer.json`;
writeFileSync(config, JSON.stringify({ next_hop: "192.0.2.2", interval: "1s", fast_interval: "1s", timeout: "1s", rise: 2, fall: 2, splay: "1s", apps }));

let ok = true;
const ann = underExabgp(process.execPath, [bin, "--config", config]);
try {
  await until(() => ann.commands.length >= APPS, 30_000, `${APPS} announcements`);
  await sleep(2000);
  console.log(`announcer: ${APPS} apps UP, ${ann.commands.length} commands acked; measuring ${WINDOW_S} s`);
  const m = await measure(ann.child.pid, WINDOW_S);
  ann.child.kill("SIGUSR1");
  const stats = await until(() => ann.log.find((l) => l.includes(" stats ")), 5000, "stats line");
  const p50 = Number(/check_p50_ms=([\d.]+)/.exec(stats)?.[1]);
  const p99 = Number(/check_p99_ms=([\d.]+)/.exec(stats)?.[1]);
  const checks = Number(/checks=(\d+)/.exec(stats)?.[1]);
  ann.child.kill("SIGTERM");
  const exit = await ann.exited;
  const withdrawn = ann.commands.filter((l) => l.startsWith("withdraw ")).length;

  const fNet = await floor(FLOOR_NET, backends.ports);
  const fHandle = await floor(FLOOR_HANDLE, backends.ports);
  const fC = await cFloor(backends.ports);
  const line = (r) => `${r.cpuPct.toFixed(1)}% of a core (system ${r.sysPct.toFixed(1)}%), RSS ${r.rssMb.toFixed(0)} MB`;

  console.log(`announcer: ${m.cpuSeconds.toFixed(2)} CPU s in ${WINDOW_S} s = ${line(m)} (peak ${m.hwmMb.toFixed(0)} MB)`);
  console.log(`floor, bare net.connect loop:  ${line(fNet)}`);
  console.log(`floor, bare TCP-handle loop:   ${line(fHandle)}`);
  if (fC) console.log(`floor, C connect loop (kernel): ${line(fC)}`);
  else console.log("floor, C connect loop: no C compiler (cc) here, not measured");
  console.log(`check latency over ${checks} checks: p50 ${p50} ms, p99 ${p99} ms`);
  console.log(`ratio announcer / handle floor: CPU ${(m.cpuPct / fHandle.cpuPct).toFixed(2)}×, RSS ${(m.hwmMb / fHandle.rssMb).toFixed(2)}×`);
  console.log(`ratio announcer / net.connect floor: CPU ${(m.cpuPct / fNet.cpuPct).toFixed(2)}×`);
  if (fC) console.log(`ratio announcer / C floor: CPU ${(m.cpuPct / fC.cpuPct).toFixed(2)}× — the kernel alone costs ${fC.cpuPct.toFixed(1)}% of the 10% target`);
  console.log(`exit on SIGTERM: code ${exit.code}, ${withdrawn} withdrawals written`);
  ok = verdict("announcer CPU", m.cpuPct, 10, { higherIsBetter: false, unit: "%" }) && ok;
  ok = verdict("announcer peak RSS", m.hwmMb, 150, { higherIsBetter: false, unit: " MB" }) && ok;
  ok = verdict("withdrawn on SIGTERM", withdrawn, APPS) && ok;
  ok = verdict("exit code 0 on SIGTERM (1 = yes)", exit.code === 0 ? 1 : 0, 1) && ok;
} finally {
  ann.child.kill("SIGKILL");
  await backends.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
