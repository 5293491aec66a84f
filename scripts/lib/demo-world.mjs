// The pieces of the demo's world on loopback: HTTP backends that say who they
// are, HAProxy in master-worker mode, and requests through it that count
// which backend answered.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request, createServer } from "node:http";
import { ManagedProcess } from "../../test/harness/dist/index.js";

/** An HTTP server on host:port answering its name; start/stop at will. */
export class Backend {
  constructor(name, host, port) {
    this.name = name;
    this.host = host;
    this.port = port;
    this.server = undefined;
  }
  start() {
    const server = createServer((req, res) => {
      res.setHeader("connection", "close");
      res.end(`${this.name}\n`);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, resolve);
    });
  }
  stop() {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections?.();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

/** One HTTP GET on a new connection (HAProxy in TCP mode balances connections). */
export function get(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = request({ host, port, path: "/", agent: false, timeout: timeoutMs, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body.trim() || `HTTP ${res.statusCode}`));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve(`error: ${e.code ?? e.message}`));
    req.end();
  });
}

/** `n` requests through host:port; → { name: count }. */
export async function spread(host, port, n) {
  const counts = {};
  for (let i = 0; i < n; i++) {
    const who = await get(host, port);
    counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}

/** HAProxy, master-worker, foreground; `kill -USR2 $(cat pidFile)` reloads it. */
export function startHaproxy(lab, cfg, pidFile) {
  return lab.own(
    new ManagedProcess("haproxy", "haproxy", ["-W", "-db", "-f", cfg, "-p", pidFile], { logFile: `${lab.dir}/haproxy.log` }),
  );
}

/** Run a command to completion; → { code, stdout, stderr }. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export function writeYaml(file, lines) {
  writeFileSync(file, lines.join("\n") + "\n");
}
