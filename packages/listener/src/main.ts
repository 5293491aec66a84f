// exacast-listener entry point: run by ExaBGP as a `process` with `encoder json`.
// Reads ExaBGP's JSON on stdin; writes to stdout (ExaBGP's API) only route
// refreshes, besides --help, --version and the render subcommand.

import type { Logger, StdinReader } from "@exacast/core";
import { openStdin } from "@exacast/core";
import { exitWithProblems, guardProcess, packageVersion, realClock } from "@exacast/runtime";
import type { Command } from "./args.js";
import { parseCommand } from "./args.js";
import type { ListenerDaemon } from "./daemon.js";

// Each path imports what it needs when it needs it (zod, yaml, ejs, node:http…):
// --version, status and render do not pay for the daemon's modules.
const loadSetup = async (cmd: Extract<Command, { kind: "run" }>) => (await import("./setup.js")).loadSetup(cmd, process.cwd());

const PROGRAM = "exacast-listener";

export const USAGE = `Usage: ${PROGRAM} --config FILE [options]
       ${PROGRAM} render --input CAPTURE.ndjson --template SRC [--asn N] [--until LINE]
                          [--var NAME=VALUE]…
       ${PROGRAM} status [--config FILE | --url URL] [--json]   (see status --help)

Reads ExaBGP's JSON on stdin, keeps every route per neighbor, builds the
services map port → prefixes from the <asn>:<port> communities, renders EJS
templates to files atomically and runs their check and reload commands.

  process listener { run ${PROGRAM} --config /etc/exacast/listener.yaml; encoder json; }

Options:
  --config FILE          YAML config (see README); relative paths in it are
                         relative to its folder
  --asn N                community ASN (default 12345)
  --template SRC:DEST[:CMD]
                         render SRC to DEST; CMD, run after DEST changed, is
                         everything after the second colon (repeatable;
                         replaces the file's templates; SRC and DEST cannot
                         hold a colon: name such paths in a config file)
  --reload CMD           run after a file changed (every template without :CMD)
  --once                 render after the first complete table (End-of-RIB from
                         every neighbor, or startup_wait), then exit: 0, or 1
                         when a template could not be installed
  --dry                  show what would change as a diff on stderr (stdout is
                         ExaBGP's); write, chown, mkdir and run nothing
  --debounce D           render once no change came for D (default 200ms)
  --state-file F         write the services map as JSON to F
  --log-format F         text | json (default text); logs go to stderr
  --log-level L          debug | info | warn | error (default info)
  -h, --help             this text
  -V, --version          print the version

status: print the running listener's neighbors, routes, services and last
render per template (its /status, from http.listen in the config); exit 0,
or 1 when it cannot be reached.

render: replay a capture of ExaBGP's JSON (all of it, or up to line --until)
and print the template rendered with the services map at that point; --var
sets what the template sees as vars (as a template's vars: key in the config).

Template files edited on disk are picked up by themselves (template_watch).
Signals: SIGHUP reloads the config and templates (a bad new config is refused
and the running one kept); SIGTERM, SIGINT and EOF on stdin finish the pending
render, stop the exec: child, then exit 0. Exit 2: bad command line, config or
template.
`;

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === "status") {
    const { statusCommand } = await import("./status-command.js");
    process.exitCode = await statusCommand(argv.slice(1));
    return;
  }
  const parsed = parseCommand(argv, process.cwd());
  if (!parsed.ok) exitWithProblems(PROGRAM, parsed.error);
  const cmd = parsed.value;
  switch (cmd.kind) {
    case "help":
      process.stdout.write(USAGE);
      return;
    case "version":
      process.stdout.write(`${PROGRAM} ${packageVersion(new URL("../package.json", import.meta.url))}\n`);
      return;
    case "render":
      return render(cmd);
    case "run":
      return run(cmd);
  }
}

async function render(cmd: Extract<Command, { kind: "render" }>): Promise<void> {
  const { renderCapture } = await import("./render-command.js");
  const r = await renderCapture(cmd, (msg) => process.stderr.write(`${PROGRAM}: ${msg}\n`));
  if ("code" in r) exitWithProblems(PROGRAM, r.problems, r.code);
  process.stdout.write(r.text);
}

async function run(cmd: Extract<Command, { kind: "run" }>): Promise<void> {
  // Read by a thread of its own, started now: it reads while the config loads,
  // and nothing the main thread does keeps ExaBGP from writing to us.
  const stdin = openStdin();
  const [{ programLogger }, { ListenerDaemon }, { TemplateWatch }] = await Promise.all([
    import("@exacast/runtime"),
    import("./daemon.js"),
    import("./template-watch.js"),
  ]);
  // --dry: every line says so, and what would be written is shown, not written.
  const base = programLogger({ program: PROGRAM, level: cmd.logLevel, format: cmd.logFormat });
  const log = cmd.mode.dryRun ? base.child({ dry_run: true }) : base;
  const setup = await loadSetup(cmd);
  if (!setup.ok) exitWithProblems(PROGRAM, setup.error);
  if (cmd.mode.once && setup.value.config.exec) {
    exitWithProblems(PROGRAM, ["--once renders and exits; exec: supervises a child for as long as the listener runs: use one or the other"]);
  }
  // stdout is ExaBGP's API: the only thing written there is a route refresh.
  let apiOpen = true;
  process.stdout.on("error", (e) => {
    if (apiOpen) log.warn("exabgp_api_closed", { error: e.message, note: "route refreshes cannot be sent" });
    apiOpen = false;
  });
  const send = (line: string) => void (apiOpen && process.stdout.write(`${line}\n`));
  let onceOk: boolean | undefined;
  const daemon = new ListenerDaemon(setup.value, log, {
    version: packageVersion(new URL("../package.json", import.meta.url)),
    mode: cmd.mode,
    onceDone: (ok) => {
      onceOk = ok;
      void stop("rendered once (--once)");
    },
    writeDiff: cmd.logFormat === "json" ? undefined : (text) => void process.stderr.write(text),
    send,
  });
  await daemon.start();
  guardProcess(log);
  const watch = new TemplateWatch(setup.value.config.templateWatch, realClock, log, (file) => void serialized(() => templateChanged(daemon, file, log)));
  await watch.setFiles(setup.value.config.templates.map((t) => t.source));

  let stopping = false;
  let input: StdinReader | undefined;
  let lastLine = performance.now();
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    // ExaBGP stopping this process writes nothing more, but what it wrote
    // before is still in the pipe: read it, for the last snapshot to hold it.
    if (why !== "end of input") await drained(() => lastLine);
    input?.stop();
    watch.close();
    log.info("shutdown", { reason: why });
    await daemon.finish();
    const usage = process.resourceUsage();
    log.info("exit", { lines: daemon.ingest.stats.lines, routes: daemon.rib.size, max_rss_kb: usage.maxRSS });
    // --once: 1 when a template could not be installed (logged) or no table was seen whole.
    if (cmd.mode.once && onceOk === undefined) log.warn("once_not_rendered", { why: "no session came up while this process listened: it never saw a whole table" });
    process.exit(cmd.mode.once && onceOk !== true ? 1 : 0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGHUP", () =>
    void serialized(async () => {
      await reload(cmd, daemon, log);
      await watch.setFiles(daemon.currentSetup.config.templates.map((t) => t.source));
    }),
  );

  input = await stdin;
  input
    .lines({
      line: (text, lineNo) => {
        lastLine = performance.now();
        daemon.line(text, lineNo);
      },
      oversize: (lineNo, length) => daemon.oversize(lineNo, length),
    })
    .then(
      () => stop("end of input"),
      (e: unknown) => {
        log.error("stdin_error", { error: e as Error });
        void stop("stdin error");
      },
    );
}

// SIGHUP and template files changed on disk both replace the setup: one at a time.
let queue: Promise<void> = Promise.resolve();
function serialized(fn: () => Promise<void>): Promise<void> {
  queue = queue.then(fn, fn);
  return queue;
}

/** Resolves once no line came for DRAIN_QUIET_MS (at most DRAIN_MAX_MS). */
async function drained(lastLine: () => number): Promise<void> {
  const DRAIN_QUIET_MS = 100;
  const DRAIN_MAX_MS = 1000;
  const t0 = performance.now();
  while (performance.now() - lastLine() < DRAIN_QUIET_MS && performance.now() - t0 < DRAIN_MAX_MS) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function reload(cmd: Extract<Command, { kind: "run" }>, daemon: ListenerDaemon, log: Logger): Promise<void> {
  const next = await loadSetup(cmd);
  const problems = next.ok ? await daemon.reload(next.value) : next.error;
  if (problems.length > 0) {
    for (const p of problems) log.error("config_refused", { problem: p, kept: "running config" });
    daemon.metrics.configReloaded("refused");
  } else {
    log.info("config_reloaded", { templates: next.ok ? next.value.config.templates.length : 0 });
    daemon.metrics.configReloaded("ok");
  }
}

async function templateChanged(daemon: ListenerDaemon, file: string, log: Logger): Promise<void> {
  const { withChangedTemplate } = await import("./template-reload.js");
  const change = await withChangedTemplate(daemon.currentSetup, file);
  if (change.kind === "refused") log.error("template_refused", { file, error: change.error, kept: "previous template" });
  if (change.kind !== "changed") return;
  const problems = await daemon.reload(change.setup);
  if (problems.length === 0) log.info("template_reloaded", { file });
}
