// exacast-announcer entry point: `check` prints what a config would run;
// without a command it runs under ExaBGP, speaking its text API on stdio.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createLogger, exitWithProblems, packageVersion, readLines } from "@exacast/core";
import { Announcer } from "./announcer.js";
import { killExecChecks } from "./checks/exec.js";
import { runAppChecks } from "./checks/index.js";
import type { AnnouncerConfig } from "./config.js";
import { loadAnnouncerConfig } from "./config.js";
import { watchDrainFile } from "./drain.js";
import { ConsulHealth } from "./consul/health.js";
import { LoopbackManager } from "./loopback.js";
import { formatCheckReport } from "./report.js";
import { Runtime } from "./runtime.js";
import { realClock } from "./scheduler.js";
import { statusCommand } from "./status-command.js";

const PROGRAM = "exacast-announcer";

export const USAGE = `Usage: ${PROGRAM} [check] --config FILE [options]
       ${PROGRAM} status [--config FILE | --url URL] [--json]   (see status --help)

Health-checks the apps on this host and writes ExaBGP text API commands on
stdout: "announce route <vip> next-hop self community [12345:<port> …]" while an
app is healthy, "withdraw route …" when it is not. Run it from exabgp.conf:

  process announcer { run ${PROGRAM} --config /etc/exacast/announcer.yaml; encoder text; }

and give the neighbors "api { processes [ announcer ]; neighbor-changes; }".

Commands:
  (none)            run under ExaBGP
  check             validate the config, print the apps it would run, exit 0 or 2
  status            print the running announcer's apps, checks and VIPs (its
                    /status, from http: in the config); exit 0, or 1 when it
                    cannot be reached

Options:
  --config FILE     YAML config (see README)
  --log-format F    text | json (default text); logs go to stderr
  --log-level L     debug | info | warn | error (default info)
  -h, --help        this text
  -V, --version     print the version

With http: in the config it serves the registration API (PUT/DELETE
/v1/apps/{name}, GET /v1/apps, GoCast's /register and /unregister), /metrics
and /status; with consul: it announces the local Consul agent's services
tagged "exacast" (exacast_vip=, exacast_port=, exacast_check= tags).

Signals: SIGTERM/SIGINT withdraw every VIP (after drain_time) and exit 0;
SIGUSR1 logs counters and check latency.
`;

/** Every flag the program accepts: the --help test holds USAGE and the man page to it. */
export const OPTIONS = {
  config: { type: "string" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === "status") {
    process.exitCode = await statusCommand(argv.slice(1));
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    exitWithProblems(PROGRAM, [(e as Error).message, "try --help"]);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.values.version) {
    process.stdout.write(`${PROGRAM} ${packageVersion(new URL("../package.json", import.meta.url))}\n`);
    return;
  }
  const [command, ...extra] = parsed.positionals;
  if (extra.length > 0 || (command !== undefined && command !== "check")) {
    exitWithProblems(PROGRAM, [`unexpected argument ${JSON.stringify(extra[0] ?? command)}`, "try --help"]);
  }
  const file = parsed.values.config;
  if (!file) exitWithProblems(PROGRAM, ["--config FILE is required", "try --help"]);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    exitWithProblems(PROGRAM, [`cannot read ${file}: ${(e as Error).message}`]);
  }
  const cfg = loadAnnouncerConfig(text, file, {
    log_format: parsed.values["log-format"],
    log_level: parsed.values["log-level"],
  });
  if (!cfg.ok) exitWithProblems(PROGRAM, cfg.error);
  if (command === "check") {
    process.stdout.write(formatCheckReport(cfg.value));
    return;
  }
  await run(cfg.value);
}

async function run(cfg: AnnouncerConfig): Promise<void> {
  const log = createLogger({ program: PROGRAM, level: cfg.logLevel, format: cfg.logFormat });
  // Run by hand on a terminal, nobody answers `done`: do not wait for it.
  const ack = cfg.ack && !process.stdout.isTTY;
  if (cfg.ack && !ack) log.warn("ack_off", { why: "stdout is a terminal, not ExaBGP" });
  // Exit once stdout has taken everything (or at once if it cannot: ExaBGP gone).
  const exit = (code: number) => {
    setTimeout(() => process.exit(code), 1000).unref();
    process.stdout.write("", () => process.exit(code));
  };
  // Consul's answers, read by `consul` checks; the Runtime's watch fills it.
  const health = cfg.consul ? new ConsulHealth(cfg.consul.hold, realClock.now) : null;
  const consul = health ? (service: string) => health.verdict(service) : undefined;
  let runtime: Runtime | null = null;
  const announcer = new Announcer(
    { ...cfg, ack },
    {
      clock: realClock,
      random: Math.random,
      log,
      write: (lines) => {
        runtime?.metrics.wrote(lines);
        process.stdout.write(lines.join("\n") + "\n");
      },
      check: (e) => runAppChecks(e.spec.checks, { timeoutMs: e.spec.timers.timeout, app: e.spec.name, consul }),
      onChecked: (e, r) => runtime?.metrics.checked(e, r),
      loopback: cfg.manageLoopback ? new LoopbackManager(log) : null,
      stopChecks: killExecChecks,
      exit: (code) => {
        // The API's sockets closed and the state file written, but never more than a second of waiting.
        setTimeout(() => exit(code), 1000).unref();
        void (runtime?.stop() ?? Promise.resolve()).finally(() => exit(code));
      },
    },
  );
  const version = packageVersion(new URL("../package.json", import.meta.url));
  runtime = new Runtime(cfg, announcer, health, log, { version });
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    log.warn("stdout_closed", { error: e.code ?? e.message });
    void announcer.shutdown("stdout");
  });
  process.on("SIGTERM", () => void announcer.shutdown("SIGTERM"));
  process.on("SIGINT", () => void announcer.shutdown("SIGINT"));
  process.on("SIGUSR1", () => announcer.logStats());
  // SIGHUP: ExaBGP's reload does not restart its processes; a HUP from a terminal going away must not kill us.
  process.on("SIGHUP", () => log.info("sighup_ignored"));
  // A bug must not kill the process: ExaBGP gives up on a process after five
  // deaths in a row, and every VIP would stay as the last one left it.
  process.on("uncaughtException", (e) => log.error("unexpected_error", { error: e, kept: "running" }));
  process.on("unhandledRejection", (e) => log.error("unexpected_error", { error: e as Error, kept: "running" }));

  log.info("start", {
    version,
    config: cfg.file,
    apps: cfg.apps.length,
    ack,
    pid: process.pid,
  });
  if (cfg.drainFile) {
    const watch = watchDrainFile(cfg.drainFile, (p) => announcer.setDraining(p));
    await watch.ready;
  }
  void readLines(process.stdin, {
    line: (l) => announcer.onLine(l),
    oversize: (n, len) => log.warn("stdin_line_too_long", { line: n, length: len }),
  }).then(
    () => announcer.shutdown("eof"),
    (e: Error) => {
      log.warn("stdin_error", { error: e.message });
      void announcer.shutdown("eof");
    },
  );
  announcer.load(cfg.apps);
  await runtime.start();
}
