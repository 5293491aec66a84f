// The same 50 apps, the same timers, side by side in one run:
//   - exacast-announcer, one process, native tcp checks;
//   - exacast-announcer, one process, exec checks running the same command
//     as ExaBGP's healthcheck does (bash </dev/tcp/…: Debian has no nc);
//   - ExaBGP's healthcheck (`python3 -m exabgp healthcheck`, Debian's
//     ExaBGP 4.2), one process per app, as it is deployed.
// Each runs alone for the window; CPU seconds include reaped children
// (the check commands), RSS is summed over the processes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { listeners, sleep, underExabgp, until, usage } from "../harness/announcer-bench.mjs";
import { verdict } from "./measure.mjs";

const APPS = Number(process.env.APPS ?? 50);
const WINDOW_S = Number(process.env.WINDOW_S ?? 20);
const PYTHON = "/usr/bin/python3"; // Debian's, where its exabgp package lives
const bin = fileURLToPath(new URL("../../packages/announcer/bin/exacast-announcer.js", import.meta.url));
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-hc-`);
const TIMERS = { interval: 1, fast: 1, rise: 2, fall: 2, timeout: 1 };

const vip = (i) => `10.255.${i >> 8}.${i & 255}/32`;
const shellCheck = (port) => `</dev/tcp/127.0.0.1/${port}`;

async function window(pids) {
  const total = () => pids.map(usage).reduce((s, u) => ({ cpu: s.cpu + u.cpu + u.childCpu, rssKb: s.rssKb + u.rssKb }), { cpu: 0, rssKb: 0 });
  const a = total();
  await sleep(WINDOW_S * 1000);
  const b = total();
  return { cpuSeconds: b.cpu - a.cpu, rssMb: b.rssKb / 1024 };
}

async function exacast(ports, kind) {
  const apps = ports.map((port, i) => ({
    name: `app${i}`,
    vip: vip(i),
    ports: [port],
    checks: [kind === "tcp" ? { tcp: `127.0.0.1:${port}` } : { exec: ["bash", "-c", shellCheck(port)] }],
  }));
  const config = `${dir}/exacast-${kind}.json`;
  writeFileSync(
    config,
    JSON.stringify({ next_hop: "192.0.2.2", interval: TIMERS.interval, fast_interval: TIMERS.fast, rise: TIMERS.rise, fall: TIMERS.fall, timeout: TIMERS.timeout, splay: 1, apps }),
  );
  const p = underExabgp(process.execPath, [bin, "--config", config]);
  try {
    await until(() => p.commands.length >= ports.length, 30_000, `exacast (${kind}) announcing`);
    await sleep(1000);
    return await window([p.child.pid]);
  } finally {
    p.child.kill("SIGTERM");
    await p.exited;
  }
}

async function healthcheck(ports) {
  const procs = ports.map((port, i) =>
    underExabgp(
      PYTHON,
      [
        "-m", "exabgp", "healthcheck",
        "--no-syslog", "--no-ip-setup",
        "--name", `app${i}`,
        "--ip", vip(i), "--next-hop", "192.0.2.2", "--community", `12345:${port}`, "--withdraw-on-down",
        "--interval", String(TIMERS.interval), "--fast-interval", String(TIMERS.fast),
        "--rise", String(TIMERS.rise), "--fall", String(TIMERS.fall), "--timeout", String(TIMERS.timeout),
        "--cmd", `bash -c '${shellCheck(port)}'`,
      ],
      { cwd: dir },
    ),
  );
  try {
    // It writes its announcement on every check, not only on changes.
    await until(() => procs.every((p) => p.commands.length > 0), 60_000, "every healthcheck announcing");
    await sleep(1000);
    return await window(procs.map((p) => p.child.pid));
  } finally {
    for (const p of procs) p.child.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
  }
}

const backends = await listeners(APPS);
let ok = true;
try {
  const tcp = await exacast(backends.ports, "tcp");
  const exec = await exacast(backends.ports, "exec");
  const hc = await healthcheck(backends.ports);
  const per = (r) => `${((r.cpuSeconds / APPS) * 1000).toFixed(2)} ms CPU/app over ${WINDOW_S} s (${r.cpuSeconds.toFixed(2)} s total), ${(r.rssMb / APPS).toFixed(2)} MB RSS/app (${r.rssMb.toFixed(0)} MB total)`;
  console.log(`${APPS} apps, interval ${TIMERS.interval}s, fast ${TIMERS.fast}s, rise ${TIMERS.rise}, fall ${TIMERS.fall}, timeout ${TIMERS.timeout}s; window ${WINDOW_S} s`);
  console.log(`exacast (tcp checks):           ${per(tcp)}`);
  console.log(`exacast (exec, same command):   ${per(exec)}`);
  console.log(`ExaBGP healthcheck (1 per app): ${per(hc)}`);
  console.log(`ratio healthcheck / exacast tcp:  CPU ${(hc.cpuSeconds / tcp.cpuSeconds).toFixed(1)}×, RSS ${(hc.rssMb / tcp.rssMb).toFixed(1)}×`);
  console.log(`ratio healthcheck / exacast exec: CPU ${(hc.cpuSeconds / exec.cpuSeconds).toFixed(1)}×, RSS ${(hc.rssMb / exec.rssMb).toFixed(1)}×`);
  ok = verdict("exacast (tcp) CPU below the healthcheck's", hc.cpuSeconds / tcp.cpuSeconds, 1, { unit: "×" }) && ok;
  ok = verdict("exacast (tcp) RSS below the healthcheck's", hc.rssMb / tcp.rssMb, 1, { unit: "×" }) && ok;
} finally {
  await backends.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
