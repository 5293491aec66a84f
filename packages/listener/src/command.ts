// Runs a template's check or reload command: a shell line as the user wrote it
// (`haproxy -c -f "$EXACAST_CANDIDATE"`), in its own process group so a
// timeout kills everything it started. Its stdin is closed and its output
// captured: the listener's stdin and stdout belong to ExaBGP.
//
// The outcome is decided when the shell exits, not when its output ends: a
// reload that starts a daemon (`service foo restart` from an old init script,
// `setsid prog &`) leaves it holding the pipes, and waiting for them to close
// would hold every later render until that daemon exits. What it wrote by
// OUTPUT_DRAIN_MS after the exit is kept; the pipes are then let go.

// execa costs ~90 ms to import: loaded on the first command, not at start.
let execaModule: Promise<typeof import("execa")> | undefined;

export interface CommandOutcome {
  readonly ok: boolean;
  /** Exit code, signal, timeout or spawn error, for the log. */
  readonly status: string;
  /** stdout and stderr interleaved, trimmed and cut to a log-sized piece. */
  readonly output: string;
  readonly durationMs: number;
}

const MAX_OUTPUT = 4000;
const KILL_GRACE_MS = 2000;
const OUTPUT_DRAIN_MS = 200;

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

export async function runCommand(command: string, opts: { timeoutMs: number; env?: Record<string, string> }): Promise<CommandOutcome> {
  const started = performance.now();
  const { execa } = await (execaModule ??= import("execa"));
  const child = execa(command, {
    shell: true,
    detached: true,
    stdin: "ignore",
    all: true,
    reject: false,
    stripFinalNewline: true,
    maxBuffer: 1 << 20,
    env: opts.env,
    extendEnv: true,
  });
  let timedOut = false;
  let hardKill: NodeJS.Timeout | undefined;
  let drain: NodeJS.Timeout | undefined;
  child.once("exit", () => {
    drain = setTimeout(() => {
      for (const s of [child.stdout, child.stderr, child.all]) s?.destroy();
    }, OUTPUT_DRAIN_MS);
  });
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, "SIGTERM");
    hardKill = setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
  }, opts.timeoutMs);
  const r = await child;
  clearTimeout(timer);
  clearTimeout(drain);
  if (hardKill !== undefined) {
    clearTimeout(hardKill);
    killGroup(child.pid, "SIGKILL");
  }
  const all = typeof r.all === "string" ? r.all.trim() : "";
  const output = all.length > MAX_OUTPUT ? `${all.slice(0, MAX_OUTPUT)}… (${all.length} characters)` : all;
  const durationMs = performance.now() - started;
  if (timedOut) return { ok: false, status: `timed out after ${opts.timeoutMs} ms`, output, durationMs };
  if (r.failed && r.exitCode === undefined && r.signal === undefined) {
    return { ok: false, status: `could not run: ${r.shortMessage ?? r.message}`, output, durationMs };
  }
  if (r.signal) return { ok: false, status: `killed by ${r.signal}`, output, durationMs };
  return { ok: r.exitCode === 0, status: `exit ${r.exitCode}`, output, durationMs };
}
