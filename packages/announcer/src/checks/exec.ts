// exec check: exit 0 passes. An argument vector runs without a shell; a
// string runs through /bin/sh only when the config says shell: true. Each
// check runs in its own process group so that a timeout (or the announcer's
// exit) kills everything it started, not just the first process.

import type { execa as Execa } from "execa";
import type { CheckResult } from "./types.js";
import { oneLine } from "./types.js";

const OUTPUT_KEPT = 512;

// execa costs ~130 ms to load: only configs with exec checks pay for it, once.
let execaModule: Promise<typeof Execa> | null = null;
const loadExeca = () => (execaModule ??= import("execa").then((m) => m.execa));
const live = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* the group is gone */
  }
}

/** Kill every exec check still running (on exit). */
export function killExecChecks(): void {
  for (const pid of live) killGroup(pid);
  live.clear();
}

export async function execCheck(command: readonly string[] | string, shell: boolean, timeoutMs: number, app: string): Promise<CheckResult> {
  const execa = await loadExeca();
  const start = performance.now();
  const result = (ok: boolean, reason: string): CheckResult => ({ kind: "exec", ok, reason, latencyMs: performance.now() - start });
  return new Promise((resolve) => {
    const options = {
      detached: true,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      buffer: false,
      reject: false,
      env: { EXACAST_APP: app },
      extendEnv: true,
    } as const;
    let child;
    try {
      child = typeof command === "string" ? execa(command, { ...options, shell }) : execa(command[0]!, command.slice(1), { ...options, shell });
    } catch (e) {
      resolve(result(false, `cannot run: ${(e as Error).message}`));
      return;
    }
    // The decision is made at exit, not when the pipes close: a background
    // grandchild holding stdout open must not turn a pass into a timeout.
    child.catch(() => {});
    let output = "";
    const keep = (chunk: Buffer) => {
      if (output.length < OUTPUT_KEPT) output += chunk.toString("utf8", 0, Math.min(chunk.length, OUTPUT_KEPT));
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let done = false;
    const finish = (ok: boolean, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      resolve(result(ok, reason));
    };
    const timer = setTimeout(() => {
      if (pid !== undefined) killGroup(pid);
      finish(false, `timed out after ${timeoutMs}ms; process group killed`);
    }, timeoutMs);
    child.on("error", (e: Error) => finish(false, `cannot run: ${oneLine(e.message)}`));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const decide = () => {
      if (!exit) return;
      const said = oneLine(output.split("\n").find((l) => l.trim() !== "") ?? "");
      if (exit.code === 0) finish(true, "exit 0");
      else finish(false, `${exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`}${said ? `: ${said}` : ""}`);
    };
    child.on("exit", (code: number | null, signal: NodeJS.Signals | null) => {
      exit = { code, signal };
      // Its last words may still be in the pipe; wait for them, briefly.
      setTimeout(decide, 50);
    });
    child.on("close", decide);
  });
}
