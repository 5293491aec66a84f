// One template's trip from the services map to an installed, reloaded file:
// render → compare with the file → temp file → check → rename → reload. Any
// failure leaves the destination as it was (a failed reload puts the old text
// back, so the file on disk stays what the running service loaded) and is
// logged with the template's name; the next change tries again.

import type { Logger } from "@exacast/core";
import { readIfExists, removeFile, replaceFile } from "./atomic-file.js";
import type { CommandOutcome } from "./command.js";
import type { TemplateSpec } from "./config.js";
import type { TemplateData } from "./services.js";
import type { CompiledTemplate } from "./template.js";

export type RenderResult = "written" | "unchanged" | "template_error" | "check_failed" | "write_failed" | "reload_failed";

export interface RenderReport {
  readonly result: RenderResult;
  /** Time spent evaluating the template, seconds. */
  readonly renderSeconds: number;
  readonly error?: string;
}

export type CommandRunner = (command: string, opts: { timeoutMs: number; env?: Record<string, string> }) => Promise<CommandOutcome>;

export class RenderJob {
  last: { result: RenderResult; at: string; error?: string } | undefined;

  constructor(
    readonly spec: TemplateSpec,
    readonly template: CompiledTemplate,
    private readonly run: CommandRunner,
    private readonly log: Logger,
  ) {}

  private get fields() {
    return { template: this.spec.name, destination: this.spec.destination };
  }

  async render(data: TemplateData): Promise<RenderReport> {
    const report = await this.attempt(data);
    this.last = { result: report.result, at: new Date().toISOString(), ...(report.error ? { error: report.error } : {}) };
    return report;
  }

  private async attempt(data: TemplateData): Promise<RenderReport> {
    const t0 = performance.now();
    let text: string;
    try {
      text = this.template.render(data);
    } catch (e) {
      const error = (e as Error).message;
      this.log.error("template failed, file left as it was", { ...this.fields, error });
      return { result: "template_error", renderSeconds: (performance.now() - t0) / 1000, error };
    }
    const renderSeconds = (performance.now() - t0) / 1000;
    let previous: string | undefined;
    try {
      previous = await readIfExists(this.spec.destination);
    } catch (e) {
      const error = `cannot read ${this.spec.destination}: ${(e as Error).message}`;
      this.log.error("write failed, file left as it was", { ...this.fields, error });
      return { result: "write_failed", renderSeconds, error };
    }
    if (previous === text) {
      this.log.debug("rendered, file unchanged", this.fields);
      return { result: "unchanged", renderSeconds };
    }
    const env = { EXACAST_DESTINATION: this.spec.destination, EXACAST_TEMPLATE: this.spec.name };
    const check = this.spec.check;
    const installed = await replaceFile(this.spec.destination, text, {
      mode: this.spec.mode,
      backup: this.spec.backup,
      check:
        check === undefined
          ? undefined
          : async (candidate) => {
              const r = await this.run(check, { timeoutMs: this.spec.timeoutMs, env: { ...env, EXACAST_CANDIDATE: candidate } });
              return r.ok ? undefined : `check ${r.status}${r.output ? `: ${r.output}` : ""}`;
            },
    });
    if (!installed.ok) {
      const result = installed.stage === "check" ? "check_failed" : "write_failed";
      this.log.error(`${installed.stage === "check" ? "check" : "write"} failed, file left as it was`, { ...this.fields, error: installed.error });
      return { result, renderSeconds, error: installed.error };
    }
    this.log.info("file written", { ...this.fields, bytes: Buffer.byteLength(text) });
    if (this.spec.reload === undefined) return { result: "written", renderSeconds };
    const r = await this.run(this.spec.reload, { timeoutMs: this.spec.timeoutMs, env: { ...env, EXACAST_CANDIDATE: this.spec.destination } });
    if (r.ok) {
      this.log.info("reloaded", { ...this.fields, ms: Math.round(r.durationMs), ...(r.output ? { output: r.output } : {}) });
      return { result: "written", renderSeconds };
    }
    const error = `reload ${r.status}${r.output ? `: ${r.output}` : ""}`;
    const restored = await this.restore(previous);
    this.log.error("reload failed, previous file restored", { ...this.fields, error, ...(restored ? { restore_error: restored } : {}) });
    return { result: "reload_failed", renderSeconds, error };
  }

  /** Put back what the file held before this render; a message if that failed. */
  private async restore(previous: string | undefined): Promise<string | undefined> {
    try {
      if (previous === undefined) {
        await removeFile(this.spec.destination);
        return undefined;
      }
      const r = await replaceFile(this.spec.destination, previous, { mode: this.spec.mode });
      return r.ok ? undefined : r.error;
    } catch (e) {
      return (e as Error).message;
    }
  }
}
