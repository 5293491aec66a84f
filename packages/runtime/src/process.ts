// The one way both programs run another program: exec checks, template check
// and reload commands, `ip address` for manage_loopback.
//
// - Each runs in its own process group (detached), so a timeout kills
//   everything it started, not just the first process: SIGTERM to the group,
//   SIGKILL after `killGraceMs` (0: SIGKILL at once).
// - stdin is closed; stdout and stderr are read as they come, interleaved, and
//   only their last OUTPUT_KEPT characters are kept: a chatty command cannot
//   fill memory, and the end of the output is what says what went wrong.
// - The outcome is decided when the process exits, not when its output ends:
//   a command that starts a daemon (`service foo restart`, `setsid prog &`)
//   leaves it holding the pipes, and waiting for them would hold every later
//   check or render until it exits. What arrives within DRAIN_MS of the exit
//   is kept; after that the pipes are still read, and what comes is dropped,
//   until the daemon closes them: closing our end would kill it with SIGPIPE
//   at its next write (the pipes no longer keep this program running).
// - Groups still running when this process exits are killed with it.

import type { Clock } from "./clock.js";
import { realClock } from "./clock.js";

export const OUTPUT_KEPT = 4000;
export const DRAIN_MS = 100;
/** After the kill, how long to wait for the exit before giving up on it (a process stuck in the kernel). */
const EXIT_WAIT_MS = 1000;

export interface RunOptions {
  readonly timeoutMs: number;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** A string command runs through /bin/sh only with shell: true; an argument vector runs the program itself. */
  readonly shell?: boolean;
  /** After a timeout, SIGTERM first and SIGKILL this much later; 0: SIGKILL at once. */
  readonly killGraceMs?: number;
  readonly clock?: Clock;
}

export interface ProcessOutcome {
  /** Exited with 0. */
  readonly ok: boolean;
  /** `exit N`, `killed by SIGX`, `timed out after N ms` or `could not run: …`, for logs. */
  readonly status: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** stdout and stderr interleaved, trimmed: the last OUTPUT_KEPT characters, marked when cut. */
  readonly output: string;
  readonly durationMs: number;
}

// execa costs ~100 ms to import: loaded on the first command, not at start.
let execaModule: Promise<typeof import("execa")> | undefined;
const live = new Set<number>();
let exitHook = false;

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* the group is gone */
  }
}

/** Kill every process group still running (at exit: checks, hooks and children do not outlive the program). */
export function killAllProcesses(): void {
  for (const pid of live) killGroup(pid, "SIGKILL");
  live.clear();
}

function armExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once("exit", killAllProcesses);
}

/** A process group to kill if this program exits while it runs (child.ts). */
export function trackGroup(pid: number): void {
  armExitHook();
  live.add(pid);
}

export function forgetGroup(pid: number): void {
  live.delete(pid);
}

export async function runProcess(command: string | readonly string[], opts: RunOptions): Promise<ProcessOutcome> {
  const clock = opts.clock ?? realClock;
  const { execa } = await (execaModule ??= import("execa"));
  const started = clock.now();
  armExitHook();
  const options = {
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    shell: opts.shell ?? false,
    env: opts.env,
    extendEnv: true,
  } as const;
  let child;
  try {
    child = typeof command === "string" ? execa(command, options) : execa(command[0]!, command.slice(1), options);
  } catch (e) {
    return { ok: false, status: `could not run: ${(e as Error).message}`, exitCode: null, timedOut: false, output: "", durationMs: clock.now() - started };
  }
  // The outcome comes from the events below; the promise's own verdict is not needed.
  child.catch(() => {});
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  const tail = new Tail();
  child.stdout?.on("data", (c: Buffer) => tail.add(c));
  child.stderr?.on("data", (c: Buffer) => tail.add(c));

  return new Promise((resolve) => {
    let timedOut = false;
    let done = false;
    const timers: unknown[] = [];
    const later = (ms: number, fn: () => void) => timers.push(clock.setTimeout(fn, ms));
    const finish = (status: string, exitCode: number | null, ok: boolean) => {
      if (done) return;
      done = true;
      for (const t of timers) clock.clearTimeout(t);
      if (pid !== undefined) {
        // Whatever the shell left in its group (a timed-out check's children) goes with it.
        if (timedOut) killGroup(pid, "SIGKILL");
        live.delete(pid);
      }
      for (const s of [child.stdout, child.stderr]) if (s) keepDraining(s);
      resolve({ ok, status, exitCode, timedOut, output: tail.text(), durationMs: clock.now() - started });
    };
    later(opts.timeoutMs, () => {
      timedOut = true;
      if (pid === undefined) return finish(`timed out after ${opts.timeoutMs} ms`, null, false);
      const grace = opts.killGraceMs ?? 0;
      killGroup(pid, grace > 0 ? "SIGTERM" : "SIGKILL");
      if (grace > 0) later(grace, () => killGroup(pid, "SIGKILL"));
      later(grace + EXIT_WAIT_MS, () => finish(`timed out after ${opts.timeoutMs} ms`, null, false));
    });
    child.on("error", (e: Error) => finish(`could not run: ${oneLine(e.message)}`, null, false));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const decide = () => {
      if (!exit) return;
      if (timedOut) finish(`timed out after ${opts.timeoutMs} ms`, exit.code, false);
      else if (exit.signal) finish(`killed by ${exit.signal}`, null, false);
      else finish(`exit ${exit.code}`, exit.code, exit.code === 0);
    };
    child.on("exit", (code: number | null, signal: NodeJS.Signals | null) => {
      exit = { code, signal };
      // Its last words may still be in the pipes: wait for them, briefly.
      later(DRAIN_MS, decide);
    });
    child.on("close", decide);
  });
}

/** Read and drop what a pipe still brings, without it keeping the event loop alive. */
function keepDraining(s: NodeJS.ReadableStream & { unref?: () => void }): void {
  s.removeAllListeners("data");
  s.on("data", () => {});
  s.on("error", () => {});
  s.unref?.();
}

/** The last OUTPUT_KEPT characters of what a process wrote; the rest is read and dropped. */
class Tail {
  private kept = "";
  private total = 0;

  add(chunk: Buffer): void {
    this.total += chunk.length;
    const text = chunk.length > OUTPUT_KEPT ? chunk.toString("utf8", chunk.length - OUTPUT_KEPT) : chunk.toString("utf8");
    this.kept = (this.kept + text).slice(-OUTPUT_KEPT);
  }

  text(): string {
    const t = this.kept.trim();
    return this.total > OUTPUT_KEPT ? `…(${this.total} bytes, the last ${OUTPUT_KEPT} characters) ${t}` : t;
  }
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, 300);
}
