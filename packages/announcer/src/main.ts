// exacast-announcer entry point: `check` prints what a config would run;
// without a command it runs under ExaBGP, speaking its text API on stdio.

import { readFileSync } from "node:fs";
import type { Result } from "@exacast/core";
import { readLines } from "@exacast/core";
import { exitWithProblems, guardProcess, packageVersion, realClock } from "@exacast/runtime";
import { parseCommand } from "./args.js";

/** Every flag the program accepts: the --help test holds USAGE and the man page to it. */
export { OPTIONS } from "./args.js";
import type { AnnouncerConfig } from "./config.js";
import type { Runtime } from "./runtime.js";

// Each path imports what it needs when it needs it: --version loads no zod or
// yaml, check no checks, HTTP or Consul client.

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
/v1/apps/{name}, GET /v1/apps, GoCast's /register, /unregister and /info),
/metrics and /status; with consul: it announces the local Consul agent's
services tagged "exacast" (exacast_vip=, exacast_port=, exacast_check= tags)
or GoCast's "enable_gocast" (gocast_vip=, gocast_monitor=, gocast_nat= …).

Moving over from ExaBGP's healthcheck: on_down/on_disabled keep a DOWN or
DISABLED app's VIP announced de-preferred; execute runs a command on every
state change; manage_loopback: announced|always; large_communities,
extended_communities, origin, as_path, path_id, neighbors (see README).

Signals: SIGTERM/SIGINT withdraw every VIP (after drain_time) and exit 0;
SIGHUP reloads the config file (unchanged apps keep their routes); SIGUSR2
(or POST /v1/checks) runs every check now; SIGUSR1 logs counters and check
latency.
`;

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === "status") {
    const { statusCommand } = await import("./status-command.js");
    process.exitCode = await statusCommand(argv.slice(1));
    return;
  }
  const parsed = parseCommand(argv);
  if (!parsed.ok) exitWithProblems(PROGRAM, parsed.error);
  const cmd = parsed.value;
  if (cmd.kind === "help") return void process.stdout.write(USAGE);
  if (cmd.kind === "version") return void process.stdout.write(`${PROGRAM} ${packageVersion(new URL("../package.json", import.meta.url))}\n`);
  let text: string;
  try {
    text = readFileSync(cmd.config, "utf8");
  } catch (e) {
    exitWithProblems(PROGRAM, [`cannot read ${cmd.config}: ${(e as Error).message}`]);
  }
  const { loadAnnouncerConfig } = await import("./config.js");
  const cfg = loadAnnouncerConfig(text, cmd.config, cmd.overrides);
  if (!cfg.ok) exitWithProblems(PROGRAM, cfg.error);
  if (cmd.kind === "check") return void process.stdout.write((await import("./report.js")).formatCheckReport(cfg.value));
  await run(cfg.value, () => {
    try {
      return loadAnnouncerConfig(readFileSync(cmd.config, "utf8"), cmd.config, cmd.overrides);
    } catch (e) {
      return { ok: false, error: [`cannot read ${cmd.config}: ${(e as Error).message}`] };
    }
  });
}

async function run(configured: AnnouncerConfig, loadAgain: () => Result<AnnouncerConfig, string[]>): Promise<void> {
  const [
    { killAllProcesses, programLogger },
    { Announcer },
    { AnnouncedStore },
    { runAppChecks },
    { watchDrainFile },
    { ConsulHealth },
    { attachLoopback, createLoopback, startOperations },
    { Runtime },
    { usableStatePaths },
  ] = await Promise.all([
    import("@exacast/runtime"),
    import("./announcer.js"),
    import("./announced-store.js"),
    import("./checks/index.js"),
    import("./drain.js"),
    import("./consul/health.js"),
    import("./operations.js"),
    import("./runtime.js"),
    import("./state-dir.js"),
  ]);
  const log = programLogger({ program: PROGRAM, level: configured.logLevel, format: configured.logFormat });
  // The state files, in state_dir or (when this user cannot write there) a private fallback.
  const paths = await usableStatePaths(configured.stateDir, { announcedFile: configured.announcedFile, httpStateFile: configured.http?.stateFile ?? null }, log);
  const cfg: AnnouncerConfig = { ...configured, announcedFile: paths.announcedFile, http: configured.http && { ...configured.http, stateFile: paths.httpStateFile } };
  const store = cfg.announcedFile ? new AnnouncedStore(cfg.announcedFile, { log, clock: realClock }) : null;
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
  const stopped: { runtime?: Runtime; stopHooks?: () => void } = {};
  const loopback = createLoopback(cfg, log, realClock);
  const announcer = new Announcer(
    { ...cfg, ack },
    {
      clock: realClock,
      random: Math.random,
      log,
      write: (lines) => void process.stdout.write(lines.join("\n") + "\n"),
      check: (e) => runAppChecks(e.spec.checks, { timeoutMs: e.spec.timers.timeout, app: e.spec.name, consul }),
      loopback,
      stopChecks: () => {
        stopped.stopHooks?.();
        killAllProcesses();
      },
      ...(store ? { announced: store } : {}),
      exit: (code) => {
        // The API's sockets closed and the state file written, but never more than a second of waiting.
        setTimeout(() => exit(code), 1000).unref();
        void (stopped.runtime?.stop() ?? Promise.resolve()).finally(() => exit(code));
      },
    },
  );
  const version = packageVersion(new URL("../package.json", import.meta.url));
  const runtime = new Runtime(cfg, announcer, health, log, { version });
  stopped.runtime = runtime;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    log.warn("stdout_closed", { error: e.code ?? e.message });
    void announcer.shutdown("stdout");
  });
  process.on("SIGTERM", () => void announcer.shutdown("SIGTERM"));
  process.on("SIGINT", () => void announcer.shutdown("SIGINT"));
  process.on("SIGUSR1", () => announcer.logStats());
  // SIGHUP reloads the config file, SIGUSR2 runs every check now; hooks run on state changes.
  // The reload compares the file as loaded, before state_dir's fallback changed its paths.
  const ops = startOperations(announcer, configured, log, loadAgain);
  stopped.stopHooks = () => ops.hooks.stop();
  guardProcess(log);

  log.info("start", {
    version,
    config: cfg.file,
    apps: cfg.apps.length,
    ack,
    pid: process.pid,
    announced_file: cfg.announcedFile ?? "none",
    http_state_file: cfg.http?.stateFile ?? "none",
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
  // What a predecessor announced is known before any app is, so no VIP is decided without it.
  const inherited = (await store?.load()) ?? [];
  if (inherited.length > 0) log.info("announced_inherited", { file: cfg.announcedFile, vips: inherited.length });
  announcer.inherit(inherited);
  if (loopback) {
    attachLoopback(loopback, announcer);
    await loopback.start();
  }
  announcer.load(cfg.apps);
  await runtime.start();
  await runtime.appsLoaded();
  announcer.sweep();
}
