// The running listener: lines in, RIB, debounced renders out, stale timers,
// SIGHUP reloads, the HTTP endpoints. The imperative shell around the pure
// modules; main.ts feeds it stdin and signals. Renders run in lanes (a
// template with its own wait has its own), one cycle at a time; after each,
// cycle-reload.ts runs the top-level reload and tells the exec: child.
// Templates run on a thread of their own (template-runner.ts); nothing renders
// while the table is known to be partial (table-keeper.ts); a failed write,
// check or reload is tried again on its own (render-retry.ts).

import { hostname } from "node:os";
import type { Logger } from "@exacast/core";
import type { Clock, FileStore, TimerHandle } from "@exacast/runtime";
import { diskFiles, isoFrom, LogThrottle, realClock } from "@exacast/runtime";
import type { RunMode } from "./args.js";
import type { Rendered } from "./cycle-reload.js";
import { CycleReload } from "./cycle-reload.js";
import type { DryOutput } from "./dry-run.js";
import { Endpoint } from "./endpoint.js";
import type { StartChild } from "./exec-child.js";
import { jobDeps } from "./job-deps.js";
import { Ingest } from "./ingest.js";
import { ingestHooks } from "./ingest-hooks.js";
import { ListenerMetrics } from "./metrics.js";
import { NeighborTimes } from "./neighbor-times.js";
import { heldFamilies, OnceGate } from "./once.js";
import type { CommandRunner, JobDeps } from "./render-job.js";
import { RenderJob } from "./render-job.js";
import { DEFAULT_LANE, laneOf, laneTimings, RenderLanes } from "./render-lanes.js";
import { RenderRetry, retriable } from "./render-retry.js";
import type { ServicesMap } from "./services.js";
import { buildServices, servicesJson } from "./services.js";
import { collectAfterRender } from "./collect.js";
import type { Setup } from "./setup.js";
import { statusOf } from "./status.js";
import { listenerPage } from "./status-page.js";
import { StaleTimers } from "./stale-timers.js";
import { StateFile } from "./state-file.js";
import { TableKeeper, WatchedRib } from "./table-keeper.js";
import type { TemplateRunner } from "./template-runner.js";
import { WorkerRunner } from "./template-runner.js";

/** The outside world, given so tests can run the daemon on a fake clock, in memory. */
export interface DaemonOptions {
  clock?: Clock;
  run?: CommandRunner;
  files?: FileStore;
  /** For /status and the status page. */
  version?: string;
  /** --once and --dry. */
  mode?: RunMode;
  /** --once: the first complete table was rendered; `ok`: every template installed. */
  onceDone?: (ok: boolean) => void;
  /** --dry with text logs: where the diffs go (stderr). */
  writeDiff?: DryOutput["writeDiff"];
  /** How the exec: child is started (tests give a fake). */
  startChild?: StartChild;
  /** Where templates run (default: a worker thread, bounded by render_timeout and render_heap_mb). */
  templates?: TemplateRunner;
  /** Writes a command to ExaBGP (a route refresh); default: none. */
  send?: (line: string) => void;
  /** Whether a process runs (the listener before this one); default: signal 0. */
  alive?: (pid: number) => boolean;
}

const REJECT_LOGS_PER_MINUTE = 20;

export class ListenerDaemon {
  readonly rib: WatchedRib;
  readonly keeper: TableKeeper;
  readonly ingest: Ingest;
  readonly metrics: ListenerMetrics;
  private setup: Setup;
  private jobs: RenderJob[];
  private readonly lanes: RenderLanes;
  private readonly endpoint: Endpoint;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private readonly gate: OnceGate | undefined;
  private onceRendered = false;
  private readonly cycleReload: CycleReload;
  private readonly staleTimers: StaleTimers;
  private cycle: Promise<void> | undefined;
  private seenVersion = 0;
  private cached: { version: number; map: ServicesMap } | undefined;
  /** The services JSON each lane last rendered (cleared to render again: SIGHUP). */
  private readonly lastRendered = new Map<string, string>();
  /** A render was due while the table was known to be partial. */
  private heldBack = false;
  private readonly templates: TemplateRunner;
  private readonly retry: RenderRetry;
  private stopping = false;
  private readonly rejects: LogThrottle;
  private readonly stateFile: StateFile;
  private readonly clock: Clock;
  private readonly jobDeps: JobDeps;
  private readonly times = new NeighborTimes();
  private readonly started = new Date().toISOString();
  private readonly version: string;

  constructor(
    setup: Setup,
    private readonly log: Logger,
    private readonly opts: DaemonOptions = {},
  ) {
    this.setup = setup;
    this.clock = opts.clock ?? realClock;
    this.version = opts.version ?? "unknown";
    const dryRun = opts.mode?.dryRun === true;
    const c = setup.config;
    this.templates = opts.templates ?? new WorkerRunner({ timeoutMs: c.renderTimeoutMs, heapMb: c.renderHeapMb }, this.clock);
    this.jobDeps = { ...jobDeps({ dryRun, files: opts.files, run: opts.run, writeDiff: opts.writeDiff }, this.clock, log), templates: this.templates };
    this.rejects = new LogThrottle(log, this.clock, { burst: REJECT_LOGS_PER_MINUTE });
    this.stateFile = new StateFile(log, this.clock);
    this.rib = new WatchedRib({ communityAsn: c.communityAsn, maxRoutes: c.maxRoutes });
    this.staleTimers = new StaleTimers({ rib: this.rib, clock: this.clock, log, times: this.times, graceMs: () => this.setup.config.staleGraceMs, changed: () => this.rib.version !== this.seenVersion && this.changed() });
    const keepStale = (neighbor: string, period: number) => this.staleTimers.arm(neighbor, false, period);
    // --dry changes nothing: the snapshot is read, not written.
    const files = dryRun ? (opts.files ?? diskFiles) : this.jobDeps.files;
    const world = { rib: this.rib, clock: this.clock, log, files, readOnly: dryRun, send: opts.send, alive: opts.alive, config: () => this.setup.config };
    this.keeper = new TableKeeper({ ...world, keepStale, changed: () => this.changed(), released: () => this.released() });
    this.retry = new RenderRetry(this.clock, () => this.changed());
    const hooks = ingestHooks({ log, clock: this.clock, rejects: this.rejects, times: this.times, keeper: () => this.keeper, staleTimers: () => this.staleTimers, gate: () => this.gate, changed: () => this.changed() });
    this.ingest = new Ingest(this.rib, { staleGraceMs: c.staleGraceMs, now: () => this.clock.now() }, hooks);
    this.lanes = new RenderLanes(laneTimings(c));
    if (opts.mode?.once) this.gate = new OnceGate(c.startupWaitMs, () => heldFamilies(this.rib.routes()));
    this.cycleReload = new CycleReload(c, { run: this.jobDeps.run, clock: this.clock, log, dryRun, startChild: opts.startChild });
    this.jobs = this.makeJobs(setup);
    this.metrics = new ListenerMetrics({ rib: () => this.rib, stats: () => this.ingest.stats, services: () => this.services(), table: () => this.keeper.status() });
    this.endpoint = new Endpoint({ metrics: () => this.metrics.render(), status: () => this.status(), page: () => listenerPage(this.status(), Date.now()) }, log, this.clock);
  }

  async start(): Promise<void> {
    await this.keeper.start();
    const at = this.setup.config.http;
    await this.endpoint.serve(at);
    this.log.info("start", {
      community_asn: this.setup.config.communityAsn,
      ...(this.opts.mode?.once ? { once: true } : {}),
      templates: this.jobs.map((j) => j.spec.name).join(",") || "none",
      ...(at ? { http: `${at.listen.host}:${at.listen.port}` } : {}),
    });
  }

  line(text: string, lineNo: number): void {
    if (this.keeper.intercept(text)) {
      this.ingest.stats.lines++;
      return;
    }
    this.ingest.line(text, lineNo);
    if (this.rib.version !== this.seenVersion) {
      this.changed();
      this.keeper.ribChanged();
    }
  }

  oversize(lineNo: number, length: number): void {
    this.ingest.oversize(lineNo, length);
  }

  /** What runs now (a template file changed on disk is applied to it). */
  get currentSetup(): Setup {
    return this.setup;
  }

  get exec() {
    return this.cycleReload.exec;
  }

  /** The services map as the RIB holds it now. */
  services(): ServicesMap {
    if (this.cached?.version !== this.rib.version) this.cached = { version: this.rib.version, map: buildServices(this.rib.routes()) };
    return this.cached.map;
  }

  status() {
    const s = statusOf(this.rib, this.services(), this.jobs, this.ingest.stats, { host: hostname(), version: this.version, pid: process.pid, started: this.started, times: this.times, toIso: isoFrom(this.clock) });
    return { ...s, table: { ...this.keeper.status(), held_back: this.heldBack } };
  }

  /** EOF or SIGTERM: finish the render in progress and any pending one. */
  async finish(): Promise<void> {
    this.stopping = true;
    // No line comes any more: the table as it is now is the last snapshot (a render may take long).
    await this.keeper.save(true);
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    for (;;) {
      if (this.cycle) await this.cycle;
      // --once: after its render, nothing more; before it, only a table seen whole (once.ts).
      else if (this.onceRendered || (this.gate && !this.gate.sound())) break;
      else {
        const due = this.lanes.take(this.clock.now(), { force: true });
        if (due.length === 0) break;
        await this.renderCycle(due);
      }
    }
    await this.cycleReload.stop();
    this.staleTimers.clear();
    this.retry.stop();
    this.keeper.stop();
    await this.templates.close();
    await this.endpoint.serve(undefined);
  }

  /** SIGHUP with a loaded setup: switch to it, or say why not (the old one keeps running). */
  async reload(next: Setup): Promise<string[]> {
    const old = this.setup.config;
    const c = next.config;
    if (c.communityAsn !== old.communityAsn) {
      return [`community_asn cannot change on reload (${old.communityAsn} → ${c.communityAsn}): routes of the new ASN were not kept; restart the listener`];
    }
    await this.endpoint.serve(c.http);
    this.setup = next;
    this.jobs = this.makeJobs(next);
    if (this.templates instanceof WorkerRunner) this.templates.setLimits({ timeoutMs: c.renderTimeoutMs, heapMb: c.renderHeapMb });
    this.rib.setMaxRoutes(c.maxRoutes);
    this.keeper.ribChanged();
    this.ingest.setStaleGrace(c.staleGraceMs);
    this.lanes.setLanes(laneTimings(c));
    this.gate?.setStartupWait(c.startupWaitMs);
    await this.cycleReload.setConfig(c);
    this.lastRendered.clear();
    this.changed();
    return [];
  }

  /** The table is whole again: render what was held back. */
  private released(): void {
    if (!this.heldBack) return;
    this.heldBack = false;
    this.lastRendered.clear();
    this.changed();
  }

  private makeJobs(setup: Setup): RenderJob[] {
    return setup.config.templates.map((spec, i) => new RenderJob(spec, setup.templates[i]!, this.jobDeps));
  }

  private changed(): void {
    this.seenVersion = this.rib.version;
    this.lanes.change(this.clock.now());
    this.arm();
  }

  // One timer at most, never later than the earliest lane's deadline: when it
  // fires early (changes kept coming) it is armed again for the new deadline.
  // With --once every lane renders together, once the gate opens.
  private arm(): void {
    if (this.stopping || this.cycle || this.onceRendered) return;
    const now = this.clock.now();
    const d = this.lanes.deadline(now, this.gate);
    if (d === undefined || (this.timer !== undefined && this.timerAt <= d)) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = d;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      const due = this.lanes.take(this.clock.now(), { gate: this.gate, all: this.gate !== undefined });
      if (due.length > 0) void this.renderCycle(due);
      else this.arm();
    }, Math.max(0, Math.ceil(d - now)));
  }

  private renderCycle(lanes: string[]): Promise<void> {
    this.cycle = this.renderLanes(lanes)
      .catch((e: unknown) => this.log.error("render_cycle_error", { error: e as Error }))
      .finally(() => {
        this.lanes.finish(lanes);
        this.cycle = undefined;
        if (this.gate && !this.onceRendered && !this.heldBack) {
          this.onceRendered = true;
          this.opts.onceDone?.(this.jobs.every((j) => j.last === undefined || j.last.result === "written" || j.last.result === "unchanged"));
        }
        this.arm();
      });
    return this.cycle;
  }

  private async renderLanes(lanes: readonly string[]): Promise<void> {
    // A table known to be partial is not rendered: the files keep what they have.
    if (this.keeper.holding) {
      this.heldBack = true;
      return;
    }
    const map = this.services();
    const json = servicesJson(map);
    const rendered: Rendered[] = [];
    const failing = (j: RenderJob) => j.last !== undefined && j.last.result !== "written" && j.last.result !== "unchanged";
    let failed = false;
    for (const lane of lanes) {
      const jobs = this.jobs.filter((j) => laneOf(j.spec) === lane);
      // The same map again (a retry): only what failed is rendered again.
      const same = json === this.lastRendered.get(lane);
      if (same && !jobs.some(failing)) continue;
      this.lastRendered.set(lane, json);
      if (lane === DEFAULT_LANE) failed ||= !(await this.stateFile.write(this.jobDeps.files, this.setup.config.stateFile, json));
      for (const job of same ? jobs.filter(failing) : jobs) {
        const report = await job.render(map);
        this.metrics.rendered(job.spec.name, report);
        rendered.push({ job, report });
        failed ||= retriable(report.result);
      }
    }
    await this.cycleReload.after(rendered, this.jobs);
    this.retry.after(failed);
    await this.keeper.save();
    collectAfterRender(this.rib.size);
    this.log.debug("rendered", { lanes: lanes.length, ports: map.ports.length, routes: this.rib.size });
  }
}
