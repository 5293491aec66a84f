// Installing the Debian package on the test machine, without clashing with
// its state: one package test at a time (a lock folder holding the owner's
// pid), a leftover of a test run that died is purged, and an exacast the
// machine had before the test is never touched (the test refuses to run).

import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";

const exec = promisify(execFile);

export const PACKAGE = "exacast";
const LOCK = `${tmpdir()}/exacast-package-test.lock`;

/** Root, or passwordless sudo: what dpkg -i needs. */
export async function rootPrefix(): Promise<string[] | null> {
  if (process.getuid?.() === 0) return [];
  try {
    await exec("sudo", ["-n", "true"]);
    return ["sudo", "-n"];
  } catch {
    return null;
  }
}

export async function run(cmd: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await exec(cmd[0]!, cmd.slice(1), { env: opts.env ?? process.env, timeout: opts.timeout ?? 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof x.code === "number" ? x.code : -1, out: x.stdout ?? "", err: x.stderr ?? x.message };
  }
}

/** "install ok installed 0.1.0", or null when dpkg does not have the package installed. */
export async function packageStatus(): Promise<string | null> {
  const r = await run(["dpkg-query", "-W", "-f", "${Status} ${Version}", PACKAGE]);
  return r.code === 0 && !/not-installed|config-files/.test(r.out) && r.out.trim() !== "" ? r.out.trim() : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take the machine's package-test lock. Returns an error to fail with, or
 * null once held (a dead owner's lock is taken over and its install purged).
 */
export async function takeLock(root: string[]): Promise<string | null> {
  let takeover = false;
  try {
    mkdirSync(LOCK);
  } catch {
    let owner = 0;
    try {
      owner = Number(readFileSync(`${LOCK}/pid`, "utf8").trim());
    } catch {
      /* being written by its owner, or left half-made */
    }
    if (owner && alive(owner)) return `another package test (pid ${owner}) holds ${LOCK}`;
    takeover = true;
  }
  writeFileSync(`${LOCK}/pid`, String(process.pid));
  const installed = await packageStatus();
  if (installed && !takeover) {
    rmSync(LOCK, { recursive: true, force: true });
    return `${PACKAGE} is installed on this machine (${installed}): the package test installs and purges it, so it leaves an install it did not make alone. Remove it first: dpkg --purge ${PACKAGE}`;
  }
  // A test run that died between install and purge: its leftover goes.
  if (installed) await run([...root, "dpkg", "--purge", PACKAGE]);
  return null;
}

export function releaseLock(): void {
  try {
    if (readFileSync(`${LOCK}/pid`, "utf8").trim() === String(process.pid)) rmSync(LOCK, { recursive: true, force: true });
  } catch {
    /* not held */
  }
}
