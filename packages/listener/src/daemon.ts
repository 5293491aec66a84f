// The running listener: lines in, RIB, debounced renders out, stale timers,
// SIGHUP reloads, the HTTP endpoints. The imperative shell around the pure
// modules; main.ts feeds it stdin and signals. Renders run in lanes (a
// template with its own wait has its own), one cycle at a time; after each,
// cycle-reload.ts runs the top-level reload and tells the exec: child.

import { hostname } from "node:os";
import type { Logger } from "@exacast/core";
import type { Clock, FileStore, TimerHandle } from "@exacast/runtime";
import { causeOf, isoFrom, LogThrottle, realClock } from "@exacast/runtime";
import type { RunMode } from "./args.js";
import type { Rendered } from "./cycle-reload.js";
import { CycleReload } from "./cycle-reload.js";
import type { DryOutput } from "./dry-run.js";
import { Endpoint } from "./endpoint.js";
import type { StartChild } from "./exec-child.js";
import { jobDeps } from "./job-deps.js";
import { Ingest } from "./ingest.js";
import { ListenerMetrics } from "./metrics.js";
import { NeighborTimes } from "./neighbor-times.js";
import { heldFamilies, OnceGate } from "./once.js";
import type { CommandRunner, JobDeps } from "./render-job.js";
import { RenderJob } from "./render-job.js";
import { DEFAULT_LANE, laneOf, laneTimings, RenderLanes } from "./render-lanes.js";
import { Rib } from "./rib.js";
import type { ServicesMap } from "./services.js";
import { buildServices, servicesJson, templateData } from "./services.js";
import type { Setup } from "./setup.js";
import { statusOf } from "./status.js";
import { listenerPage } from "./status-page.js";

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
}

const REJECT_LOGS_PER_MINUTE = 20;
const STOPPING_GRACE_MS = 30_000;

export class ListenerDaemon {
  readonly rib: Rib;
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
  /** Grace timers, one per stale period (`<neighbor> <period>`). */
  private readonly staleTimers = new Map<string, TimerHandle>();
  private cycle: Promise<void> | undefined;
  private seenVersion = 0;
  private cached: { version: number; map: ServicesMap } | undefined;
  /** The services JSON each lane last rendered (cleared to render again: SIGHUP). */
  private readonly lastRendered = new Map<string, string>();
  private stopping = false;
  private readonly rejects: LogThrottle;
  private readonly stateFileFailures: LogThrottle;
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
    this.jobDeps = jobDeps({ dryRun, files: opts.files, run: opts.run, writeDiff: opts.writeDiff }, this.clock, log);
    this.rejects = new LogThrottle(log, this.clock, { burst: REJECT_LOGS_PER_MINUTE });
    this.stateFileFailures = new LogThrottle(log, this.clock);
    const c = setup.config;
    this.rib = new Rib({ communityAsn: c.communityAsn, maxRoutes: c.maxRoutes });
    this.ingest = new Ingest(this.rib, { staleGraceMs: c.staleGraceMs, now: () => this.clock.now() }, this.hooks());
    this.lanes = new RenderLanes(laneTimings(c));
    if (opts.mode?.once) this.gate = new OnceGate(c.startupWaitMs, () => heldFamilies(this.rib.routes()));
    this.cycleReload = new CycleReload(c, { run: this.jobDeps.run, clock: this.clock, log, dryRun, startChild: opts.startChild });
    this.jobs = this.makeJobs(setup);
    this.metrics = new ListenerMetrics({ rib: () => this.rib, stats: () => this.ingest.stats, services: () => this.services() });
    this.endpoint = new Endpoint({ metrics: () => this.metrics.render(), status: () => this.status(), page: () => listenerPage(this.status(), Date.now()) }, log, this.clock);
  }

  async start(): Promise<void> {
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
    this.ingest.line(text, lineNo);
    if (this.rib.version !== this.seenVersion) this.changed();
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
    return statusOf(this.rib, this.services(), this.jobs, this.ingest.stats, { host: hostname(), version: this.version, pid: process.pid, started: this.started, times: this.times, toIso: isoFrom(this.clock) });
  }

  /** EOF or SIGTERM: finish the render in progress and any pending one. */
  async finish(): Promise<void> {
    this.stopping = true;
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
    for (const t of this.staleTimers.values()) this.clock.clearTimeout(t);
    this.staleTimers.clear();
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
    this.rib.setMaxRoutes(c.maxRoutes);
    this.ingest.setStaleGrace(c.staleGraceMs);
    this.lanes.setLanes(laneTimings(c));
    this.gate?.setStartupWait(c.startupWaitMs);
    await this.cycleReload.setConfig(c);
    this.lastRendered.clear();
    this.changed();
    return [];
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
        if (this.gate && !this.onceRendered) {
          this.onceRendered = true;
          this.opts.onceDone?.(this.jobs.every((j) => j.last === undefined || j.last.result === "written" || j.last.result === "unchanged"));
        }
        this.arm();
      });
    return this.cycle;
  }

  private async renderLanes(lanes: readonly string[]): Promise<void> {
    const map = this.services();
    const json = servicesJson(map);
    const rendered: Rendered[] = [];
    for (const lane of lanes) {
      const jobs = this.jobs.filter((j) => laneOf(j.spec) === lane);
      const retry = jobs.some((j) => j.last !== undefined && j.last.result !== "written" && j.last.result !== "unchanged");
      if (json === this.lastRendered.get(lane) && !retry) continue;
      this.lastRendered.set(lane, json);
      if (lane === DEFAULT_LANE) await this.writeStateFile(json);
      for (const job of jobs) {
        const report = await job.render(templateData(map, job.spec.vars));
        this.metrics.rendered(job.spec.name, report);
        rendered.push({ job, report });
      }
    }
    await this.cycleReload.after(rendered, this.jobs);
    this.log.debug("rendered", { lanes: lanes.length, ports: map.ports.length, routes: this.rib.size });
  }

  private async writeStateFile(json: string): Promise<void> {
    const file = this.setup.config.stateFile;
    if (file === undefined) return;
    const files = this.jobDeps.files;
    try {
      if ((await files.readIfExists(file)) === json) return;
    } catch {
      /* unreadable: try to replace it */
    }
    const r = await files.replaceFile(file, json);
    if (r.ok) this.stateFileFailures.succeeded("state_file_recovered", { file });
    else this.stateFileFailures.failed("state_file_failed", causeOf("write", r.error), { file, error: r.error });
  }

  private hooks() {
    return {
      rejected: (lineNo: number, reason: string, error: string) => this.rejects.often("warn", "line_skipped", { line: lineNo, reason, error }, "lines_not_logged"),
      state: (neighbor: string, state: string, reason: string | undefined) => {
        this.times.state(neighbor, state, this.clock.now());
        this.log.info("neighbor", { neighbor, state, ...(reason ? { reason } : {}) });
        // --once: a session that comes up starts the wait for its table, routes or not.
        if (this.gate) {
          this.gate.state(neighbor, state, this.clock.now());
          this.changed();
        }
      },
      staleStarted: (neighbor: string, stopping: boolean, period: number) => this.armStale(neighbor, stopping, period),
      refused: (neighbor: string, prefix: string) => {
        if (this.ingest.stats.refused === 1 || this.ingest.stats.refused % 10_000 === 0) {
          this.log.warn("max_routes_reached", { neighbor, prefix, max_routes: this.setup.config.maxRoutes, refused: this.ingest.stats.refused });
        }
      },
      // End-of-RIB: the peer's table is complete. A render then gives a fresh
      // process its first file even when the peer has no services.
      eor: (neighbor: string, family: string) => {
        this.log.debug("end_of_rib", { neighbor, family });
        this.gate?.eor(neighbor, family);
        this.changed();
      },
      notification: (neighbor: string, code: number, subcode: number, data: string) => {
        this.log.info("notification", { neighbor, code, subcode, data });
      },
      shutdown: () => this.log.info("exabgp_shutdown"),
      unread: (path: string, reason: string) => this.log.warn("message_part_unread", { path, reason, kept: "the rest of the message", reported: "once" }),
      ignored: (type: string, reason: string) => this.log.info("message_ignored", { type, reason, reported: "once" }),
    };
  }

  private armStale(neighbor: string, stopping: boolean, period: number): void {
    // ExaBGP stopping closes our stdin right after; should it go on talking
    // to us anyway, the routes go after STOPPING_GRACE_MS.
    const grace = stopping ? Math.max(this.setup.config.staleGraceMs, STOPPING_GRACE_MS) : this.setup.config.staleGraceMs;
    this.log.info("routes_kept", { neighbor, why: stopping ? "ExaBGP is stopping" : "stale_grace", grace_ms: grace });
    const key = `${neighbor} ${period}`;
    this.times.staleStarted(neighbor, period, this.clock.now() + grace);
    this.staleTimers.set(
      key,
      this.clock.setTimeout(() => {
        this.staleTimers.delete(key);
        this.times.staleEnded(neighbor, period);
        const n = this.rib.expireStale(neighbor, period);
        if (n > 0) this.log.info("stale_routes_removed", { neighbor, routes: n });
        if (this.rib.version !== this.seenVersion) this.changed();
      }, grace),
    );
  }
}
