// Which ExaBGP runs: Debian's 4.2 (the `exabgp` command), or 5.0 / main run
// from the source tarballs in ../shared/exabgp/ (beside the repository). A
// tarball is extracted once per machine into a cache folder under the temp
// dir, keyed by its name, so test files and CI runs share it.
//
// main needs Python 3.12 or newer; 5.0 needs 3.8. The Python is found on PATH
// or under pyenv (its shims refuse versions that are not selected, so each
// candidate is asked for its version). When a tarball or a Python is missing,
// exabgpRuntime() says why, for a test to skip with that reason.

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.js";

const run = promisify(execFile);

export type ExaVersion = "4.2" | "5.0" | "main";

export interface ExaRuntime {
  readonly version: ExaVersion;
  /** The command and the arguments before the config file. */
  readonly command: string;
  readonly args: readonly string[];
  /** Environment the command needs (PYTHONPATH, EXABGP_ENVFILE). */
  readonly env: Readonly<Record<string, string>>;
  /** What `exabgp version` printed, e.g. "ExaBGP : 5.0.13". */
  readonly describe: string;
}

export const DEBIAN_EXABGP: ExaRuntime = { version: "4.2", command: "exabgp", args: [], env: {}, describe: "Debian exabgp 4.2" };

const TARBALL: Record<Exclude<ExaVersion, "4.2">, RegExp> = {
  "5.0": /^exabgp-5\.0\.\d+\.tar\.gz$/,
  main: /^exabgp-main-[0-9a-f]+\.tar\.gz$/,
};
const MIN_PYTHON: Record<Exclude<ExaVersion, "4.2">, [number, number]> = { "5.0": [3, 8], main: [3, 12] };

/** Where the tarballs are: EXACAST_EXABGP_SOURCES, or ../shared/exabgp beside the repository. */
export const sourcesDir = (): string => process.env.EXACAST_EXABGP_SOURCES ?? `${repoRoot}/../shared/exabgp`;

const cache = new Map<ExaVersion, Promise<ExaRuntime | string>>();

/** How to run `version`, or a sentence saying why it cannot run here. */
export function exabgpRuntime(version: ExaVersion): Promise<ExaRuntime | string> {
  let p = cache.get(version);
  if (!p) cache.set(version, (p = version === "4.2" ? Promise.resolve(DEBIAN_EXABGP) : fromSource(version)));
  return p;
}

async function fromSource(version: Exclude<ExaVersion, "4.2">): Promise<ExaRuntime | string> {
  const dir = sourcesDir();
  let tarball: string | undefined;
  try {
    tarball = readdirSync(dir).find((f) => TARBALL[version].test(f));
  } catch {
    /* no folder */
  }
  if (!tarball) return `ExaBGP ${version}: no tarball matching ${TARBALL[version]} in ${dir}`;
  const python = await findPython(MIN_PYTHON[version]);
  if (!python) return `ExaBGP ${version}: needs Python ${MIN_PYTHON[version].join(".")} or newer (none on PATH or under pyenv)`;
  const src = await extract(`${dir}/${tarball}`);
  const env = {
    PYTHONPATH: `${src}/src`,
    // No env file: every setting is a default or an environment variable.
    EXABGP_ENVFILE: `${src}/no-such-exabgp.env`,
    PYTHONDONTWRITEBYTECODE: "1",
  };
  let describe = `ExaBGP ${version}`;
  try {
    const { stdout } = await run(python, ["-m", "exabgp", "version"], { env: { ...process.env, ...env }, timeout: 30_000 });
    describe = stdout.split("\n")[0]?.trim() || describe;
  } catch (e) {
    return `ExaBGP ${version}: ${python} -m exabgp version failed: ${(e as Error).message}`;
  }
  return { version, command: python, args: ["-m", "exabgp"], env, describe };
}

/** The extracted source tree (cached by tarball name; extracted beside it, then renamed into place). */
async function extract(tarball: string): Promise<string> {
  const root = `${tmpdir()}/exacast-exabgp-cache`;
  const name = basename(tarball).replace(/\.tar\.gz$/, "");
  const target = `${root}/${name}`;
  if (existsSync(`${target}/src/exabgp`)) return target;
  mkdirSync(root, { recursive: true });
  const work = `${root}/.${name}-${process.pid}-${Date.now()}`;
  mkdirSync(work);
  try {
    await run("tar", ["xzf", tarball, "-C", work], { timeout: 120_000 });
    const top = readdirSync(work);
    if (top.length !== 1) throw new Error(`${tarball}: expected one top folder, found ${top.join(", ")}`);
    try {
      renameSync(`${work}/${top[0]}`, target);
    } catch (e) {
      // Another test file extracted it at the same time: use theirs.
      if (!existsSync(`${target}/src/exabgp`)) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

async function pythonVersion(cmd: string): Promise<[number, number] | undefined> {
  try {
    const { stdout } = await run(cmd, ["-c", "import sys; print(sys.version_info[0], sys.version_info[1])"], { timeout: 10_000 });
    const [a, b] = stdout.trim().split(" ").map(Number);
    return a !== undefined && b !== undefined && !Number.isNaN(a) && !Number.isNaN(b) ? [a, b] : undefined;
  } catch {
    return undefined;
  }
}

async function pyenvPythons(): Promise<string[]> {
  let root = process.env.PYENV_ROOT;
  if (!root) {
    try {
      root = (await run("pyenv", ["root"], { timeout: 10_000 })).stdout.trim();
    } catch {
      root = `${homedir()}/.pyenv`;
    }
  }
  try {
    return readdirSync(`${root}/versions`)
      .filter((v) => /^\d+\.\d+/.test(v))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
      .map((v) => `${root}/versions/${v}/bin/python3`)
      .filter((p) => existsSync(p));
  } catch {
    return [];
  }
}

/** A Python at least `min`: python3 on PATH first, then the newest under pyenv, then python3.1x on PATH. */
async function findPython(min: [number, number]): Promise<string | undefined> {
  const candidates = ["python3", ...(await pyenvPythons()), "python3.14", "python3.13", "python3.12"];
  for (const c of candidates) {
    const v = await pythonVersion(c);
    if (v && (v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]))) return c;
  }
  return undefined;
}
