// state_dir at run time: the announcer keeps its announced_file (and, by
// default, http.state_file) there, and it must be able to write there as the
// user ExaBGP runs it as. When it cannot (the folder was never created for
// that user, as on a host installed from npm), the files go to a private
// folder under the system's temporary folder instead, loudly: that still
// survives the announcer's restarts (what ExaBGP's respawn needs), not
// necessarily a reboot. Never a folder someone else could have prepared.

import { constants } from "node:fs";
import { access, lstat, mkdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Logger } from "@exacast/core";

export interface DirProbe {
  /** null when this process can create files in `dir`, else why not. */
  writable(dir: string): Promise<string | null>;
  /** Create `dir` (0700) when missing; null when it is this user's alone, else why not. */
  privateDir(dir: string): Promise<string | null>;
}

const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export const diskProbe: DirProbe = {
  async writable(dir) {
    try {
      if (!(await stat(dir)).isDirectory()) return "not a folder";
      await access(dir, constants.W_OK | constants.X_OK);
      return null;
    } catch (e) {
      return why(e);
    }
  },
  async privateDir(dir) {
    try {
      await mkdir(dir, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "EEXIST") throw e;
      });
      const s = await lstat(dir);
      if (!s.isDirectory()) return "not a folder (or a symbolic link)";
      if (s.uid !== process.getuid?.()) return `owned by uid ${s.uid}, not by this user`;
      if ((s.mode & 0o022) !== 0) return `others may write into it (mode ${(s.mode & 0o777).toString(8)})`;
      return null;
    } catch (e) {
      return why(e);
    }
  },
};

/** The private folder used when state_dir cannot be written. */
export const fallbackStateDir = (): string => join(tmpdir(), `exacast-${process.getuid?.() ?? "user"}`);

export interface StatePaths {
  readonly announcedFile: string | null;
  readonly httpStateFile: string | null;
}

/**
 * The files as configured, or moved to `fallback` when they sit in a
 * `stateDir` this process cannot write (files configured elsewhere stay:
 * their writes fail and are logged).
 */
export async function usableStatePaths(stateDir: string, paths: StatePaths, log: Logger, probe: DirProbe = diskProbe, fallback = fallbackStateDir()): Promise<StatePaths> {
  const inDir = (f: string | null) => f !== null && dirname(f) === stateDir;
  if (!inDir(paths.announcedFile) && !inDir(paths.httpStateFile)) return paths;
  const reason = await probe.writable(stateDir);
  if (reason === null) return paths;
  const refused = await probe.privateDir(fallback);
  if (refused !== null) {
    log.error("state_dir_unusable", { state_dir: stateDir, error: reason, fallback, fallback_error: refused, risk: "a restarted announcer cannot withdraw what this one announced" });
    return paths;
  }
  const move = (f: string | null) => (f !== null && inDir(f) ? join(fallback, basename(f)) : f);
  const moved = { announcedFile: move(paths.announcedFile), httpStateFile: move(paths.httpStateFile) };
  log.warn("state_dir_fallback", {
    state_dir: stateDir,
    error: reason,
    using: fallback,
    hint: `create it for the user ExaBGP runs its processes as (install -d -o exabgp -g exabgp ${stateDir}) or set state_dir`,
  });
  return moved;
}
