// Template files edited on disk are picked up without SIGHUP. The folders of
// the sources are watched (not the files: an editor that saves by renaming a
// new file over the old one leaves a file watch on the old inode), events for
// one file are coalesced for DEBOUNCE_MS (an editor writes in steps), then
// `changed(file)` is called; the caller reads and compiles it, and keeps the
// old template when the new text does not compile.
//
// `auto` watches with fs.watch and falls back to polling where it cannot
// (inotify limits, filesystems without events); `poll` stats every POLL_MS
// (NFS, where a change made on another host raises no event); `off` leaves it
// to SIGHUP. The filesystem is given (WatchPort), so the debounce and the
// fallback run on a fake clock in tests.

import { watch as fsWatch } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "@exacast/core";
import type { Clock, TimerHandle } from "@exacast/runtime";
import type { TemplateWatchMode } from "./config.js";

export const DEBOUNCE_MS = 200;
export const POLL_MS = 1000;

export interface Watcher {
  close(): void;
}

export interface WatchPort {
  /** Watch a folder; `file` is the name of what changed in it (null: unknown). Throws when it cannot. */
  watch(folder: string, event: (file: string | null) => void, error: (e: Error) => void): Watcher;
  /** Something that changes when the file does (inode, size, mtime), or undefined when it is missing. */
  signature(file: string): Promise<string | undefined>;
}

export const diskWatchPort: WatchPort = {
  watch(folder, event, error) {
    const w = fsWatch(folder, { persistent: false }, (_type, file) => event(file === null ? null : String(file)));
    w.on("error", error);
    return w;
  },
  async signature(file) {
    const s = await stat(file).catch(() => undefined);
    return s ? `${s.ino}:${s.size}:${s.mtimeMs}` : undefined;
  },
};

export class TemplateWatch {
  private files: string[] = [];
  private watchers: Watcher[] = [];
  private polling = false;
  private pollTimer: TimerHandle | undefined;
  private readonly pending = new Map<string, TimerHandle>();
  private readonly seen = new Map<string, string | undefined>();
  private closed = false;
  /** Bumped when watching stops: a poll in flight then arms no timer. */
  private generation = 0;

  constructor(
    private readonly mode: TemplateWatchMode,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly changed: (file: string) => void,
    private readonly port: WatchPort = diskWatchPort,
  ) {}

  get how(): "watch" | "poll" | "off" {
    return this.mode === "off" ? "off" : this.polling ? "poll" : "watch";
  }

  /** Watch these template sources (start, and after each SIGHUP). */
  async setFiles(files: readonly string[]): Promise<void> {
    if (this.mode === "off" || this.closed) return;
    this.stopWatching();
    this.files = [...new Set(files)];
    for (const f of this.files) this.seen.set(f, await this.port.signature(f));
    if (this.mode === "poll" || this.polling) return this.startPolling();
    const folders = [...new Set(this.files.map((f) => dirname(f)))];
    try {
      for (const folder of folders) {
        this.watchers.push(this.port.watch(folder, (name) => this.event(folder, name), (e) => this.fallBack(e)));
      }
    } catch (e) {
      this.fallBack(e as Error);
    }
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
    for (const t of this.pending.values()) this.clock.clearTimeout(t);
    this.pending.clear();
  }

  private stopWatching(): void {
    this.generation++;
    for (const w of this.watchers.splice(0)) w.close();
    this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private event(folder: string, name: string | null): void {
    for (const f of this.files) {
      if (dirname(f) === folder && (name === null || name === basename(f))) this.soon(f);
    }
  }

  private soon(file: string): void {
    this.clock.clearTimeout(this.pending.get(file));
    this.pending.set(
      file,
      this.clock.setTimeout(
        () => {
          this.pending.delete(file);
          void this.settled(file);
        },
        DEBOUNCE_MS,
        { background: true },
      ),
    );
  }

  private async settled(file: string): Promise<void> {
    if (this.closed) return;
    this.seen.set(file, await this.port.signature(file));
    this.changed(file);
  }

  private fallBack(e: Error): void {
    if (this.polling || this.closed) return;
    this.log.warn("template_watch_polling", { why: e.message, every_ms: POLL_MS });
    this.polling = true;
    this.stopWatching();
    this.startPolling();
  }

  private startPolling(): void {
    this.polling = true;
    const generation = this.generation;
    const tick = async () => {
      for (const f of this.files) {
        const sig = await this.port.signature(f);
        if (sig !== this.seen.get(f)) {
          this.seen.set(f, sig);
          if (sig !== undefined) this.soon(f);
        }
      }
      if (!this.closed && generation === this.generation) this.pollTimer = this.clock.setTimeout(() => void tick(), POLL_MS, { background: true });
    };
    this.pollTimer = this.clock.setTimeout(() => void tick(), POLL_MS, { background: true });
  }
}
