// The one way both programs replace a file: the new text goes to a temporary
// file beside the destination (same filesystem, so the rename is atomic) with
// a name no other writer uses, is optionally checked, synced, and renamed over
// the destination; the folder is synced so the rename survives a crash.
// Whatever fails, the destination keeps its old content and the temporary
// file is removed. Templates, the listener's state_file and the announcer's
// http.state_file all go through here.

import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { copyFile, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

let sequence = 0;

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

export interface ReplaceOptions {
  /** File mode; undefined keeps the replaced file's mode (0644 for a new file). */
  readonly mode?: number | undefined;
  /** Owner to give the file (uid, gid; -1 keeps the replaced file's). Not given: the replaced file's, when run as root. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
  /** Keep the replaced file as `<destination>.bak`. */
  readonly backup?: boolean;
  /** Runs on the written candidate before it is installed; a string is why it was refused. */
  readonly check?: (candidate: string) => Promise<string | undefined>;
}

export type ReplaceOutcome = { readonly ok: true } | { readonly ok: false; readonly stage: "check" | "write"; readonly error: string };

/** The temporary file a replace of `destination` writes first (pid and a counter: unique among live writers). */
export function tempNameFor(destination: string): string {
  return join(dirname(destination), `.${basename(destination)}.exacast-${process.pid}-${++sequence}.tmp`);
}

export async function replaceFile(destination: string, text: string, opts: ReplaceOptions = {}): Promise<ReplaceOutcome> {
  const dir = dirname(destination);
  const temp = tempNameFor(destination);
  let handle: FileHandle | undefined;
  let stage: "check" | "write" = "write";
  try {
    const old = await stat(destination).catch(() => undefined);
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.writeFile(text, "utf8");
    // open()'s mode passes through the umask: set the one asked for (or the old file's) explicitly.
    await handle.chmod(opts.mode ?? (old ? old.mode & 0o7777 : 0o644));
    if (opts.owner) {
      // Asked for: a refusal (EPERM when not root) fails the write.
      await handle.chown(opts.owner.uid === -1 ? (old?.uid ?? -1) : opts.owner.uid, opts.owner.gid === -1 ? (old?.gid ?? -1) : opts.owner.gid);
    } else if (old && process.getuid?.() === 0) await handle.chown(old.uid, old.gid).catch(() => {});
    if (opts.check) {
      stage = "check";
      const refused = await opts.check(temp);
      if (refused !== undefined) throw new Error(refused);
      stage = "write";
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (opts.backup && old) await copyFile(destination, `${destination}.bak`);
    await rename(temp, destination);
    await syncDir(dir);
    return { ok: true };
  } catch (e) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    return { ok: false, stage, error: (e as Error).message };
  }
}

/** Remove a file this program installed (undo of a first install). */
export async function removeFile(path: string): Promise<void> {
  await unlink(path);
  await syncDir(dirname(path));
}

/** Move a file that cannot be read as ours out of the way, so the next write does not destroy it; its new name. */
export async function setAside(path: string, why: string): Promise<string> {
  const aside = `${path}.${why}-${Date.now()}`;
  await rename(path, aside);
  return aside;
}

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!h) return;
  // Some filesystems refuse fsync on a folder (EINVAL): the rename is done either way.
  await h.sync().catch(() => {});
  await h.close().catch(() => {});
}

/** What code that writes files needs, so tests can give it a folder in memory. */
export interface FileStore {
  readIfExists(path: string): Promise<string | undefined>;
  replaceFile(destination: string, text: string, opts?: ReplaceOptions): Promise<ReplaceOutcome>;
  removeFile(path: string): Promise<void>;
}

export const diskFiles: FileStore = { readIfExists, replaceFile, removeFile };
