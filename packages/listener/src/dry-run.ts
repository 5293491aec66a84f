// --dry: everything runs as usual up to the point where the world would be
// touched. Files are read from disk but never written (no folder made, no
// owner changed): what a write would change is shown as a unified diff
// instead. Commands (check, reload, the top-level reload) are not run, only
// named. What was "written" is remembered, so the next render shows what
// changed since, not since the file on disk.
//
// Where the diff goes: stderr, never stdout, which is ExaBGP's API (consul-
// template -dry prints to stdout; here that would feed ExaBGP commands).
// With --log-format text the diff follows its `would_write` line as plain
// unified-diff lines (for people, and for `patch`); with json it is the
// `diff` field of that one record, so a JSON log stays one record a line.

import type { Logger } from "@exacast/core";
import type { FileStore, ProcessOutcome, ReplaceOptions, ReplaceOutcome } from "@exacast/runtime";
import type { CommandRunner } from "./render-job.js";
import { unifiedDiff } from "./text-diff.js";

export interface DryOutput {
  readonly log: Logger;
  /** Text format: raw diff lines to stderr. undefined: JSON logs, the diff goes in the record. */
  readonly writeDiff?: (text: string) => void;
}

export class DryRunFiles implements FileStore {
  private readonly wouldBe = new Map<string, string | undefined>();

  constructor(
    private readonly disk: Pick<FileStore, "readIfExists">,
    private readonly out: DryOutput,
  ) {}

  async readIfExists(path: string): Promise<string | undefined> {
    return this.wouldBe.has(path) ? this.wouldBe.get(path) : this.disk.readIfExists(path);
  }

  async replaceFile(destination: string, text: string, opts: ReplaceOptions = {}): Promise<ReplaceOutcome> {
    const before = await this.readIfExists(destination);
    if (before === text) return { ok: true };
    const diff = unifiedDiff(before, text, destination);
    const fields = {
      destination,
      added: diff.added,
      removed: diff.removed,
      ...(before === undefined ? { new_file: true } : {}),
      ...(opts.backup && before !== undefined ? { backup: `${destination}.bak` } : {}),
    };
    if (this.out.writeDiff) {
      this.out.log.info("would_write", fields);
      this.out.writeDiff(diff.text);
    } else this.out.log.info("would_write", { ...fields, diff: diff.text });
    this.wouldBe.set(destination, text);
    return { ok: true };
  }

  async removeFile(path: string): Promise<void> {
    this.out.log.info("would_remove", { file: path });
    this.wouldBe.set(path, undefined);
  }
}

/** Names the command it would run, runs nothing, and answers as a command that passed. */
export function dryRunner(log: Logger): CommandRunner {
  return async (command, opts): Promise<ProcessOutcome> => {
    log.info("would_run", { command, ...(opts.env?.EXACAST_TEMPLATE ? { template: opts.env.EXACAST_TEMPLATE } : {}) });
    return { ok: true, status: "exit 0", exitCode: 0, timedOut: false, output: "", durationMs: 0 };
  };
}
