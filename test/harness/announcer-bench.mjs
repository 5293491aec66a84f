// Helpers for the announcer benchmarks: loopback TCP listeners, an ExaBGP
// stand-in that runs a process on pipes and answers `done` to each command
// (as ExaBGP 4.x does with api.ack), and CPU/memory of a real process read
// from /proc.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts in 1/100 s on Linux.

/** `n` TCP listeners on `host` that accept and close at once. */
export async function listeners(n, host = "127.0.0.1") {
  const servers = [];
  await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const s = createServer((c) => {
        c.on("error", () => {});
        c.destroy();
      });
      s.on("error", reject);
      s.listen(0, host, () => resolve(s));
      servers.push(s);
    })),
  );
  return {
    servers,
    ports: servers.map((s) => s.address().port),
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(() => r())))),
  };
}

/** CPU seconds (own, and of reaped children) and memory of a live process. */
export function usage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields after the name start at field 3 (state): utime is 14, stime 15, cutime 16, cstime 17.
  const cpu = (Number(f[11]) + Number(f[12])) / TICKS;
  const childCpu = (Number(f[13]) + Number(f[14])) / TICKS;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { cpu, sys: Number(f[12]) / TICKS, childCpu, hwmKb: kb("VmHWM"), rssKb: kb("VmRSS") };
}

/**
 * Run `cmd` as ExaBGP would: stdout lines are commands (answered `done` when
 * `ack`), stderr lines are its log. `onCommand(line, t)` sees each command.
 */
export function underExabgp(cmd, args, { ack = true, onCommand = () => {}, cwd } = {}) {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], cwd });
  const commands = [];
  const log = [];
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d) => {
    out += d;
    let nl;
    while ((nl = out.indexOf("\n")) !== -1) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (!line) continue;
      const t = performance.now();
      commands.push(line);
      onCommand(line, t);
      if (ack && !child.stdin.destroyed) child.stdin.write("done\n");
    }
  });
  let err = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    err += d;
    let nl;
    while ((nl = err.indexOf("\n")) !== -1) {
      log.push(err.slice(0, nl));
      err = err.slice(nl + 1);
    }
  });
  child.stdin.on("error", () => {});
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, commands, log, exited };
}

/** Poll `probe` every 20 ms until it returns a truthy value or `timeout` ms pass. */
export async function until(probe, timeout, what) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
