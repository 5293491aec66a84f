// One template's trip from the services map to an installed, reloaded file:
// render → compare with the file → temp file → check → rename → reload. Any
// failure leaves the destination as it was (a failed reload puts the old text
// back, so the file on disk stays what the running service loaded) and is
// logged with the template's name (once per cause: see the runtime's
// LogThrottle); the next change tries again.

import type { Logger } from "@exacast/core";
import type { Clock, FileStore, ProcessOutcome } from "@exacast/runtime";
import { causeOf, LogThrottle, runProcess } from "@exacast/runtime";
import type { TemplateSpec } from "./config.js";
import type { ServicesMap } from "./services.js";
import type { CompiledTemplate } from "./template.js";
import type { TemplateRunner } from "./template-runner.js";
import { inlineRunner } from "./template-runner.js";

export type RenderResult = "written" | "unchanged" | "template_error" | "check_failed" | "write_failed" | "reload_failed";

export interface RenderReport {
  readonly result: RenderResult;
  /** Time spent evaluating the template, seconds. */
  readonly renderSeconds: number;
  readonly error?: string;
  /** When written: puts back the file (and its .bak) as they were before, for a failed top-level reload. */
  readonly undo?: () => Promise<string | undefined>;
}

/** Runs a check or reload command: a shell line as the user wrote it. */
export type CommandRunner = (command: string, opts: { timeoutMs: number; env?: Record<string, string> }) => Promise<ProcessOutcome>;

/** A check or reload that ignores SIGTERM gets SIGKILL this much later. */
export const KILL_GRACE_MS = 2000;

export const runShell: CommandRunner = (command, opts) => runProcess(command, { ...opts, shell: true, killGraceMs: KILL_GRACE_MS });

/** What a render job works with besides its template. */
export interface JobDeps {
  readonly run: CommandRunner;
  readonly files: FileStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where the template runs (default: on this thread). */
  readonly templates?: TemplateRunner;
}

export class RenderJob {
  last: { result: RenderResult; at: string; error?: string } | undefined;
  private readonly failures: LogThrottle;

  constructor(
    readonly spec: TemplateSpec,
    readonly template: CompiledTemplate,
    private readonly deps: JobDeps,
  ) {
    this.failures = new LogThrottle(deps.log, deps.clock);
  }

  /** The cycle's top-level reload failed after this job wrote its file, which undo() put back (or not). */
  rolledBack(error: string): void {
    this.last = { result: "reload_failed", at: new Date().toISOString(), error };
  }

  private get fields() {
    return { template: this.spec.name, destination: this.spec.destination };
  }

  async render(map: ServicesMap): Promise<RenderReport> {
    const report = await this.attempt(map);
    if (report.result === "written" || report.result === "unchanged") this.failures.succeeded("recovered", this.fields);
    this.last = { result: report.result, at: new Date().toISOString(), ...(report.error ? { error: report.error } : {}) };
    return report;
  }

  private async attempt(map: ServicesMap): Promise<RenderReport> {
    const rendered = await (this.deps.templates ?? inlineRunner).render(this.template, map, this.spec.vars);
    const renderSeconds = rendered.seconds;
    if ("error" in rendered) {
      this.failed("template_failed", "template", { error: rendered.error, file: "left as it was" });
      return { result: "template_error", renderSeconds, error: rendered.error };
    }
    const text = rendered.text;
    let previous: string | undefined;
    try {
      previous = await this.deps.files.readIfExists(this.spec.destination);
    } catch (e) {
      const error = `cannot read ${this.spec.destination}: ${(e as Error).message}`;
      this.failed("write_failed", "read", { error, file: "left as it was" });
      return { result: "write_failed", renderSeconds, error };
    }
    if (previous === text) {
      this.deps.log.debug("file_unchanged", this.fields);
      return { result: "unchanged", renderSeconds };
    }
    const env = { EXACAST_DESTINATION: this.spec.destination, EXACAST_TEMPLATE: this.spec.name };
    const check = this.spec.check;
    // The backup about to be replaced: a failed reload puts it back with the file.
    let olderBackup: string | undefined;
    try {
      olderBackup = this.spec.backup && previous !== undefined ? await this.deps.files.readIfExists(this.backupFile) : undefined;
    } catch {
      olderBackup = undefined;
    }
    const installed = await this.deps.files.replaceFile(this.spec.destination, text, {
      mode: this.spec.mode,
      owner: this.spec.owner,
      backup: this.spec.backup,
      check:
        check === undefined
          ? undefined
          : async (candidate) => {
              const r = await this.deps.run(check, { timeoutMs: this.spec.timeoutMs, env: { ...env, EXACAST_CANDIDATE: candidate } });
              return r.ok ? undefined : `check ${r.status}${r.output ? `: ${r.output}` : ""}`;
            },
    });
    if (!installed.ok) {
      const result = installed.stage === "check" ? "check_failed" : "write_failed";
      this.failed(`${installed.stage}_failed`, installed.stage, { error: installed.error, file: "left as it was" });
      return { result, renderSeconds, error: installed.error };
    }
    this.deps.log.info("file_written", { ...this.fields, bytes: Buffer.byteLength(text) });
    const undo = () => this.restore(previous, olderBackup);
    if (this.spec.reload === undefined) return { result: "written", renderSeconds, undo };
    const r = await this.deps.run(this.spec.reload, { timeoutMs: this.spec.timeoutMs, env: { ...env, EXACAST_CANDIDATE: this.spec.destination } });
    if (r.ok) {
      this.deps.log.info("reloaded", { ...this.fields, ms: Math.round(r.durationMs), ...(r.output ? { output: r.output } : {}) });
      return { result: "written", renderSeconds, undo };
    }
    const error = `reload ${r.status}${r.output ? `: ${r.output}` : ""}`;
    const restored = await undo();
    this.failed("reload_failed", "reload", { error, file: restored ? "not restored" : "previous file restored", ...(restored ? { restore_error: restored } : {}) });
    return { result: "reload_failed", renderSeconds, error };
  }

  /**
   * Log a failure the first time its cause is seen, then as a reminder with a
   * count at most once a minute: the next change meets the same cause again.
   */
  private failed(event: string, stage: string, fields: { error: string; file: string; restore_error?: string }): void {
    this.failures.failed(event, causeOf(stage, fields.error), { ...this.fields, ...fields });
  }

  private get backupFile(): string {
    return `${this.spec.destination}.bak`;
  }

  /**
   * Put back what the file held before this render, and the .bak the install
   * replaced with it (the older good file must not be lost to a bad one); a
   * message if that failed.
   */
  private async restore(previous: string | undefined, olderBackup: string | undefined): Promise<string | undefined> {
    try {
      if (previous === undefined) {
        await this.deps.files.removeFile(this.spec.destination);
        return undefined;
      }
      const r = await this.deps.files.replaceFile(this.spec.destination, previous, { mode: this.spec.mode, owner: this.spec.owner });
      if (!r.ok) return r.error;
      if (!this.spec.backup) return undefined;
      if (olderBackup === undefined) {
        await this.deps.files.removeFile(this.backupFile).catch(() => {});
        return undefined;
      }
      const b = await this.deps.files.replaceFile(this.backupFile, olderBackup);
      return b.ok ? undefined : `${this.backupFile}: ${b.error}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
}
