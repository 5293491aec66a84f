// A FileStore in memory, for tests of code that writes files: the same
// outcomes as the disk (a check on the candidate, a refused write) without
// touching one. `refuse` makes a path unwritable, as a full disk or a
// read-only folder would.

import type { FileStore, ReplaceOptions, ReplaceOutcome } from "./atomic-file.js";

export class MemoryFiles implements FileStore {
  readonly files = new Map<string, { text: string; mode: number; owner?: { uid: number; gid: number } }>();
  /** Paths whose writes fail, with the error they fail with. */
  readonly refuse = new Map<string, string>();
  /** Every file installed, in order. */
  readonly written: string[] = [];
  private sequence = 0;

  text(path: string): string | undefined {
    return this.files.get(path)?.text;
  }

  async readIfExists(path: string): Promise<string | undefined> {
    return this.text(path);
  }

  async replaceFile(destination: string, text: string, opts: ReplaceOptions = {}): Promise<ReplaceOutcome> {
    const refused = this.refuse.get(destination);
    if (refused !== undefined) return { ok: false, stage: "write", error: refused };
    const old = this.files.get(destination);
    if (opts.check) {
      const temp = `${destination}.exacast-0-${++this.sequence}.tmp`;
      this.files.set(temp, { text, mode: 0o600 });
      const why = await opts.check(temp);
      this.files.delete(temp);
      if (why !== undefined) return { ok: false, stage: "check", error: why };
    }
    if (opts.backup && old) this.files.set(`${destination}.bak`, old);
    const owner = opts.owner ? { uid: opts.owner.uid === -1 ? (old?.owner?.uid ?? -1) : opts.owner.uid, gid: opts.owner.gid === -1 ? (old?.owner?.gid ?? -1) : opts.owner.gid } : old?.owner;
    this.files.set(destination, { text, mode: opts.mode ?? old?.mode ?? 0o644, ...(owner ? { owner } : {}) });
    this.written.push(destination);
    return { ok: true };
  }

  async removeFile(path: string): Promise<void> {
    if (!this.files.delete(path)) throw Object.assign(new Error(`ENOENT: no such file, unlink '${path}'`), { code: "ENOENT" });
  }
}
