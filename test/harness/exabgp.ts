// ExaBGP instances on loopback: a config written from options, its settings
// given as environment variables, its log in the lab folder.

import { readFileSync, writeFileSync } from "node:fs";
import type { ExaRuntime } from "./exabgp-runtime.js";
import { DEBIAN_EXABGP } from "./exabgp-runtime.js";
import type { Lab } from "./lab.js";
import { ManagedProcess } from "./process.js";
import type { Exit } from "./process.js";
import { waitFor } from "./wait.js";

export interface ExaProcess {
  name: string;
  /** Absolute command and arguments (no spaces or semicolons inside one). */
  run: string[];
  encoder: "text" | "json";
  /** Send received updates (JSON encoder): default true for json, false for text. */
  receive?: boolean;
  /** Send neighbor up/down events: default true. */
  neighborChanges?: boolean;
  /** Send what each session negotiated (`negotiated;`, e.g. route refresh): default false. */
  negotiated?: boolean;
  /** Send the ROUTE-REFRESH messages peers send (`receive { refresh; }`): default false. */
  receiveRefresh?: boolean;
}

export interface ExaNeighbor {
  address: string;
  peerAs: number;
  /** Port to connect to; or passive to wait for the peer on this instance's listenPort. */
  connect?: number;
  passive?: boolean;
  addPath?: boolean;
  /** `capability { route-refresh; }` (with enhanced route refresh): ask peers to send their routes again. */
  routeRefresh?: boolean;
  /** ExaBGP keeps what it sent to re-send it after a reconnect (its default); false: the API process must. */
  adjRibOut?: boolean;
  /** Processes that get this neighbor's events; default all. */
  processes?: string[];
}

export interface ExaBgpOptions {
  name: string;
  address: string;
  asn: number;
  neighbors: ExaNeighbor[];
  processes: ExaProcess[];
  /** Listen here (on `address`) for passive neighbors. */
  listenPort?: number;
  /** Extra ExaBGP settings, e.g. { "exabgp.api.ack": "false" }. */
  env?: Record<string, string>;
  /** Environment of the processes ExaBGP runs (it passes its own on). */
  processEnv?: Record<string, string>;
  /** Which ExaBGP (exabgp-runtime.ts); default Debian's 4.2. */
  runtime?: ExaRuntime;
  /** Use this exabgp.conf as it is (e.g. a shipped file adapted to the lab) instead of generating one. */
  configText?: string;
}

export function exabgpConfig(o: ExaBgpOptions): string {
  const lines: string[] = [];
  for (const p of o.processes) {
    for (const arg of p.run) if (/[\s;{}]/.test(arg)) throw new Error(`process ${p.name}: argument ${JSON.stringify(arg)} cannot go in exabgp.conf`);
    lines.push(`process ${p.name} {`, `  run ${p.run.join(" ")};`, `  encoder ${p.encoder};`, "}");
  }
  for (const n of o.neighbors) {
    lines.push(
      `neighbor ${n.address} {`,
      `  router-id ${o.address};`,
      `  local-address ${o.address};`,
      `  local-as ${o.asn};`,
      `  peer-as ${n.peerAs};`,
    );
    if (n.passive) lines.push("  passive;", `  listen ${o.listenPort};`);
    else lines.push(`  connect ${n.connect};`);
    if (n.adjRibOut === false) lines.push("  adj-rib-out false;");
    lines.push("  family {", "    ipv4 unicast;", "    ipv6 unicast;", "  }");
    if (n.addPath || n.routeRefresh) {
      lines.push("  capability {", ...(n.addPath ? ["    add-path send/receive;"] : []), ...(n.routeRefresh ? ["    route-refresh;"] : []), "  }");
    }
    for (const p of o.processes.filter((p) => (n.processes ?? o.processes.map((x) => x.name)).includes(p.name))) {
      const receive = p.receive ?? p.encoder === "json";
      lines.push("  api {", `    processes [ ${p.name} ];`);
      if (receive) lines.push("    receive {", "      parsed;", "      update;", ...(p.receiveRefresh ? ["      refresh;"] : []), "    }");
      if (p.neighborChanges ?? true) lines.push("    neighbor-changes;");
      if (p.negotiated) lines.push("    negotiated;");
      lines.push("  }");
    }
    lines.push("}");
  }
  return lines.join("\n") + "\n";
}

export class ExaBgp {
  process: ManagedProcess | undefined;
  readonly configFile: string;
  readonly logFile: string;
  readonly outFile: string;

  constructor(
    readonly lab: Lab,
    readonly options: ExaBgpOptions,
  ) {
    this.configFile = `${lab.dir}/${options.name}.conf`;
    this.logFile = `${lab.dir}/${options.name}.log`;
    this.outFile = `${lab.dir}/${options.name}.out`;
    writeFileSync(this.configFile, options.configText ?? exabgpConfig(options));
  }

  get runtime(): ExaRuntime {
    return this.options.runtime ?? DEBIAN_EXABGP;
  }

  get address(): string {
    return this.options.address;
  }

  env(): NodeJS.ProcessEnv {
    const user = process.getuid?.() === 0 ? "root" : (process.env.USER ?? "nobody");
    return {
      ...process.env,
      STATE_DIRECTORY: this.lab.stateDir,
      ...this.options.processEnv,
      ...this.runtime.env,
      "exabgp.daemon.user": user,
      "exabgp.daemon.daemonize": "false",
      "exabgp.api.cli": "false",
      "exabgp.tcp.bind": this.options.listenPort ? this.options.address : "",
      "exabgp.tcp.port": String(this.options.listenPort ?? 179),
      "exabgp.log.destination": this.logFile,
      "exabgp.log.level": "INFO",
      ...this.options.env,
    };
  }

  start(): this {
    this.process = this.lab.own(new ManagedProcess(this.options.name, this.runtime.command, [...this.runtime.args, this.configFile], { env: this.env(), logFile: this.outFile }));
    return this;
  }

  /** SIGTERM, as an operator or systemd would stop it. */
  async stop(sig: NodeJS.Signals = "SIGTERM"): Promise<Exit | undefined> {
    return this.process?.stop(sig);
  }

  /** A signal to ExaBGP alone (SIGUSR2: restart its processes; SIGUSR1: reload its config). */
  signalExabgp(sig: NodeJS.Signals): void {
    if (this.process?.running) process.kill(this.process.pid, sig);
  }

  /** Kill ExaBGP and everything it runs at once (a crash). */
  async kill(): Promise<Exit | undefined> {
    return this.process?.stop("SIGKILL");
  }

  log(): string {
    let text = "";
    for (const f of [this.logFile, this.outFile]) {
      try {
        text += readFileSync(f, "utf8");
      } catch {
        /* not written yet */
      }
    }
    return text;
  }

  async waitLog(pattern: RegExp, timeout = 15_000): Promise<RegExpMatchArray> {
    return waitFor(() => this.log().match(pattern), { what: `${this.options.name} log ${pattern}`, timeout, interval: 100 });
  }
}
