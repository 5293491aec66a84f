// Network namespaces a test creates, and takes down whatever happens: for
// what must not touch the host (firewall rules, addresses on lo, another
// tool's sockets and BGP speaker). The test process stays in the host's
// namespace; inside, it runs programs with `ip netns exec` and the small
// tools of ns-tool.mjs (HTTP requests, echo servers, probes, a bridge that
// carries a port inside to a unix socket outside). Needs root.

import { execFile, execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import type { Server } from "node:net";
import { promisify } from "node:util";
import { helper } from "./paths.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

/** Where `ip` is (ExaBGP wants absolute paths in its process lines). */
export const IP = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v ip"], { encoding: "utf8" }).trim() || "ip";
  } catch {
    return "ip";
  }
})();

let probe: string | null | undefined;

/** Why namespaces cannot be made here, or null. */
export function netnsProblem(): string | null {
  if (probe !== undefined) return probe;
  const name = `exacast-probe-${randomBytes(3).toString("hex")}`;
  try {
    execFileSync(IP, ["netns", "add", name], { stdio: "pipe" });
    execFileSync(IP, ["netns", "del", name], { stdio: "pipe" });
    probe = null;
  } catch (e) {
    probe = `network namespaces are not permitted here (${(e as Error).message.split("\n")[0]})`;
  }
  return probe;
}

export interface NsReply {
  status?: number;
  body?: string;
  error?: string;
}

export class NetNs {
  private readonly children: ChildProcess[] = [];
  private readonly servers: Server[] = [];

  private constructor(readonly name: string) {}

  /** A new namespace with `lo` up. */
  static create(prefix: string): NetNs {
    const ns = new NetNs(`${prefix}-${randomBytes(3).toString("hex")}`);
    execFileSync(IP, ["netns", "add", ns.name], { stdio: "pipe" });
    ns.ip("link", "set", "lo", "up");
    return ns;
  }

  /** `ip -n NS …`, its output. */
  ip(...args: string[]): string {
    return execFileSync(IP, ["-n", this.name, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  /** The command line that runs `argv` in this namespace. */
  argv(argv: readonly string[]): string[] {
    return [IP, "netns", "exec", this.name, ...argv];
  }

  /** Run `argv` here; its stdout (throws on a non-zero exit). */
  async exec(argv: readonly string[], timeout = 10_000): Promise<string> {
    const [cmd, ...rest] = this.argv(argv);
    return (await run(cmd!, rest, { timeout, encoding: "utf8" })).stdout;
  }

  /** Run `argv` here; its stdout, or null when it failed. */
  async tryExec(argv: readonly string[]): Promise<string | null> {
    try {
      return await this.exec(argv);
    } catch {
      return null;
    }
  }

  /** A veth pair between this namespace (`mine`, e.g. 10.77.0.1/24) and `other` (`theirs`). */
  link(other: NetNs, mine: string, theirs: string): void {
    const a = `v${randomBytes(3).toString("hex")}`;
    const b = `v${randomBytes(3).toString("hex")}`;
    execFileSync(IP, ["link", "add", a, "netns", this.name, "type", "veth", "peer", "name", b, "netns", other.name], { stdio: "pipe" });
    this.ip("address", "add", mine, "dev", a);
    other.ip("address", "add", theirs, "dev", b);
    this.ip("link", "set", a, "up");
    other.ip("link", "set", b, "up");
  }

  /** A long-running program here, killed at close(); resolves once it printed `ready` (when `ready` is set). */
  async start(argv: readonly string[], opts: { ready?: boolean; env?: NodeJS.ProcessEnv; log?: (s: string) => void } = {}): Promise<ChildProcess> {
    const [cmd, ...rest] = this.argv(argv);
    const child = spawn(cmd!, rest, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env, detached: true });
    this.children.push(child);
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      opts.log?.(d);
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => opts.log?.(d));
    if (opts.ready) await waitFor(() => out.includes("ready") || child.exitCode !== null, { what: `${argv.join(" ")} ready`, timeout: 10_000, interval: 20 });
    if (child.exitCode !== null) throw new Error(`${argv.join(" ")} exited ${child.exitCode}`);
    return child;
  }

  /** TCP and UDP echo servers on host:port here. */
  echo(host: string, port: number): Promise<ChildProcess> {
    return this.start([...helper("ns-tool.mjs"), "echo", host, String(port)], { ready: true });
  }

  /** One HTTP request made from here. */
  async fetch(method: string, url: string): Promise<NsReply> {
    const out = await this.exec([...helper("ns-tool.mjs"), "fetch", method, url]);
    return JSON.parse(out) as NsReply;
  }

  /** Send `text` over tcp or udp from here: the reply, or `error: CODE`. */
  async probe(proto: "tcp" | "udp", host: string, port: number, text = "ping"): Promise<string> {
    return (await this.exec([...helper("ns-tool.mjs"), "probe", proto, host, String(port), text])).trim();
  }

  /** Make host:port here reach `target` (host:port in the test's own namespace), through a unix socket. */
  async bridge(host: string, port: number, target: { host: string; port: number }, socketPath: string): Promise<void> {
    rmSync(socketPath, { force: true });
    const server = createServer((c) => {
      const t = connect(target.port, target.host);
      c.pipe(t).pipe(c);
      const close = () => (c.destroy(), t.destroy());
      c.on("error", close);
      t.on("error", close);
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    this.servers.push(server);
    await this.start([...helper("ns-tool.mjs"), "bridge", host, String(port), socketPath], { ready: true });
  }

  /** Kill what runs here, then remove the namespace (its veth ends go with it). */
  async close(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode !== null || c.pid === undefined) continue;
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    await Promise.all(this.children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise((r) => c.once("exit", r))));
    for (const s of this.servers) s.close();
    try {
      execFileSync(IP, ["netns", "del", this.name], { stdio: "pipe" });
    } catch {
      /* already gone */
    }
  }
}
