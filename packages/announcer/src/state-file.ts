// http.state_file: the apps registered over HTTP, as they were sent, so a
// restarted announcer (ExaBGP respawns it) runs them again. Written to a
// temporary file and renamed over the old one, so a crash mid-write leaves
// the previous file whole. A file that cannot be read as ours is moved aside,
// not overwritten: its apps are not lost to the next save.

import type { Logger } from "@exacast/core";
import { readIfExists, replaceFile, setAside } from "@exacast/runtime";

const VERSION = 1;

export class StateFile {
  private writing: Promise<void> | null = null;
  private pending: readonly unknown[] | null = null;

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  /** The apps saved last time ([] when there is no file). */
  async load(): Promise<unknown[]> {
    let text: string | undefined;
    try {
      text = await readIfExists(this.path);
    } catch (e) {
      this.log.error("state_file_unreadable", { file: this.path, error: (e as Error).message });
      return [];
    }
    if (text === undefined) return [];
    try {
      const doc = JSON.parse(text) as { version?: unknown; apps?: unknown };
      if (doc?.version !== VERSION || !Array.isArray(doc.apps)) throw new Error(`expected {"version": ${VERSION}, "apps": [...]}`);
      return doc.apps as unknown[];
    } catch (e) {
      // Moved aside, not overwritten: its apps are not lost to the next save.
      const aside = await setAside(this.path, "invalid").catch(() => null);
      this.log.error("state_file_invalid", { file: this.path, error: (e as Error).message, moved_to: aside ?? "(could not be moved; the next save replaces it)" });
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
      // What clients registered is for this user's eyes only.
      const r = await replaceFile(this.path, JSON.stringify({ version: VERSION, apps }, null, 2) + "\n", { mode: 0o600 });
      if (!r.ok) this.log.error("state_file_not_written", { file: this.path, error: r.error });
    }
    this.writing = null;
  }
}
