// What follows a render cycle once its templates are done: the top-level
// `reload`, run once however many templates changed (HAProxy with three
// files is reloaded once, not three times), and the exec: child, started
// once every template rendered and signalled after files changed.
//
// A failed top-level reload puts back every file the cycle changed (and
// their .bak), as a template's own failed reload does: the files on disk
// stay what the running service loaded, and the next cycle tries again.

import type { Logger } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import type { ListenerConfig } from "./config.js";
import { sameExec } from "./exec-config.js";
import type { StartChild } from "./exec-child.js";
import { ExecChild } from "./exec-child.js";
import type { CommandRunner, RenderJob, RenderReport } from "./render-job.js";

/** The top-level reload gets this long, then its process group is killed. */
export const CYCLE_RELOAD_TIMEOUT_MS = 30_000;

export interface Rendered {
  readonly job: RenderJob;
  readonly report: RenderReport;
}

const installed = (j: RenderJob) => j.last?.result === "written" || j.last?.result === "unchanged";

export interface CycleDeps {
  readonly run: CommandRunner;
  readonly clock: Clock;
  readonly log: Logger;
  /** --dry: the child is not started; what would be signalled is logged. */
  readonly dryRun: boolean;
  readonly startChild?: StartChild;
}

export class CycleReload {
  private reload: string | undefined;
  private child: ExecChild | undefined;
  private dryExec = false;

  constructor(
    config: ListenerConfig,
    private readonly deps: CycleDeps,
  ) {
    this.setConfig(config);
  }

  get exec(): ExecChild | undefined {
    return this.child;
  }

  /** Start, or SIGHUP: a changed exec: replaces the child (the old one stopped first). */
  async setConfig(config: ListenerConfig): Promise<void> {
    this.reload = config.reload;
    this.dryExec = this.deps.dryRun && config.exec !== undefined;
    if (this.deps.dryRun || sameExec(this.child?.spec, config.exec)) return;
    const old = this.child;
    this.child = config.exec ? new ExecChild(config.exec, this.deps.clock, this.deps.log, this.deps.startChild) : undefined;
    await old?.stop();
  }

  /** After a cycle: `rendered` are the templates it rendered, `all` every template. */
  async after(rendered: readonly Rendered[], all: readonly RenderJob[]): Promise<void> {
    let written = rendered.filter((r) => r.report.result === "written");
    if (written.length > 0 && this.reload !== undefined) {
      const ok = await this.runReload(this.reload, written);
      if (!ok) written = [];
    }
    if (written.length > 0) {
      // Before ready(): a child started by this very cycle already reads the new files.
      if (this.dryExec) this.deps.log.info("would_signal", { exec: "child", why: "files changed" });
      this.child?.changed();
    }
    if (all.every(installed)) this.child?.ready();
  }

  /** EOF, SIGTERM: the child goes with the listener. */
  async stop(): Promise<void> {
    await this.child?.stop();
  }

  private async runReload(command: string, written: readonly Rendered[]): Promise<boolean> {
    const destinations = written.map((w) => w.job.spec.destination);
    const env = { EXACAST_DESTINATIONS: destinations.join("\n"), EXACAST_TEMPLATES: written.map((w) => w.job.spec.name).join("\n") };
    const r = await this.deps.run(command, { timeoutMs: CYCLE_RELOAD_TIMEOUT_MS, env });
    if (r.ok) {
      this.deps.log.info("reloaded", { scope: "cycle", templates: written.length, ms: Math.round(r.durationMs), ...(r.output ? { output: r.output } : {}) });
      return true;
    }
    const error = `reload ${r.status}${r.output ? `: ${r.output}` : ""}`;
    for (const w of written) {
      const failed = (await w.report.undo?.()) ?? undefined;
      w.job.rolledBack(error);
      this.deps.log.error("reload_failed", {
        scope: "cycle",
        template: w.job.spec.name,
        destination: w.job.spec.destination,
        error,
        file: failed === undefined ? "previous file restored" : "not restored",
        ...(failed === undefined ? {} : { restore_error: failed }),
      });
    }
    return false;
  }
}
