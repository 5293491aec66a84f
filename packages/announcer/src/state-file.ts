// http.state_file: the apps registered over HTTP, as they were sent, so a
// restarted announcer (ExaBGP respawns it) runs them again. Written to a
// temporary file and renamed over the old one, so a crash mid-write leaves
// the previous file whole. A file that cannot be read as ours is moved aside,
// not overwritten: its apps are not lost to the next save.

import { open, rename } from "node:fs/promises";
import { readFileSync, renameSync } from "node:fs";
import type { Logger } from "@exacast/core";

const VERSION = 1;

export class StateFile {
  private writing: Promise<void> | null = null;
  private pending: readonly unknown[] | null = null;

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  /** The apps saved last time ([] when there is no file). */
  load(): unknown[] {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") this.log.error("state_file_unreadable", { file: this.path, error: (e as Error).message });
      return [];
    }
    try {
      const doc = JSON.parse(text) as { version?: unknown; apps?: unknown };
      if (doc?.version !== VERSION || !Array.isArray(doc.apps)) throw new Error(`expected {"version": ${VERSION}, "apps": [...]}`);
      return doc.apps as unknown[];
    } catch (e) {
      const aside = `${this.path}.invalid-${Date.now()}`;
      try {
        renameSync(this.path, aside);
      } catch {
        /* keep going: the save will say if the folder is not writable */
      }
      this.log.error("state_file_invalid", { file: this.path, error: (e as Error).message, moved_to: aside });
      return [];
    }
  }

  /** Save `apps` soon; saves asked for while one is written coalesce into one more. */
  save(apps: readonly unknown[]): void {
    this.pending = apps;
    if (!this.writing) this.writing = this.drain();
  }

  /** Resolves once everything asked for is on disk. */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const apps = this.pending;
      this.pending = null;
      try {
        await writeAtomically(this.path, JSON.stringify({ version: VERSION, apps }, null, 2) + "\n");
      } catch (e) {
        this.log.error("state_file_not_written", { file: this.path, error: (e as Error).message });
      }
    }
    this.writing = null;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
