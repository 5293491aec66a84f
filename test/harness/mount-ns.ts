// A program in a private mount namespace of its own: mounts made for it (a
// tiny tmpfs, a read-only bind mount) exist only there, and vanish with it, so
// a test can break the filesystem under a program without touching the host.
// Needs root and util-linux's unshare/nsenter; mountNamespaceProblem() says
// why not when they are missing, for a test to skip with the reason.

import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

let probe: Promise<string | undefined> | undefined;

/** Why a private mount namespace with a tmpfs cannot be made here, or undefined. */
export function mountNamespaceProblem(): Promise<string | undefined> {
  probe ??= run("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && mount -o remount,ro /mnt && nsenter --version"], {
    timeout: 10_000,
  }).then(
    () => undefined,
    (e: Error & { stderr?: string }) => `cannot make a private mount namespace (unshare --mount as root): ${(e.stderr || e.message).trim()}`,
  );
  return probe;
}

/**
 * The command line that runs `argv` in a new private mount namespace after
 * the shell lines `setup` (e.g. `mount -t tmpfs -o size=64k tmpfs /dir`).
 * unshare and sh exec the program: its pid is the spawned process's pid.
 */
export function inMountNamespace(setup: string[], argv: string[]): [string, string[]] {
  const script = [...setup, 'exec "$@"'].join(" && ");
  return ["unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", ...argv]];
}

/** Run a shell script inside the mount namespace of `pid`. */
export async function inNamespaceOf(pid: number, script: string): Promise<string> {
  const { stdout } = await run("nsenter", ["--target", String(pid), "--mount", "--", "sh", "-c", script], { timeout: 30_000 });
  return stdout;
}

/** `path` as the process `pid` sees it, readable from outside its namespace. */
export const seenBy = (pid: number, path: string): string => `/proc/${pid}/root${path}`;
