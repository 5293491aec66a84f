// The running listener: lines in, RIB, debounced renders out, stale timers,
// SIGHUP reloads, the HTTP endpoints. The imperative shell around the pure
// modules; main.ts feeds it stdin and signals.

import { hostname } from "node:os";
import type { Logger } from "@exacast/core";
import type { Clock, FileStore, TimerHandle } from "@exacast/runtime";
import { causeOf, diskFiles, isoFrom, LogThrottle, realClock } from "@exacast/runtime";
import { Debouncer } from "./debounce.js";
import { Endpoint } from "./endpoint.js";
import { Ingest } from "./ingest.js";
import { ListenerMetrics } from "./metrics.js";
import { NeighborTimes } from "./neighbor-times.js";
import type { CommandRunner, JobDeps } from "./render-job.js";
import { RenderJob, runShell } from "./render-job.js";
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
}

const REJECT_LOGS_PER_MINUTE = 20;
const STOPPING_GRACE_MS = 30_000;

export class ListenerDaemon {
  readonly rib: Rib;
  readonly ingest: Ingest;
  readonly metrics: ListenerMetrics;
  private setup: Setup;
  private jobs: RenderJob[];
  private debouncer: Debouncer;
  private readonly endpoint: Endpoint;
  private timer: TimerHandle | undefined;
  /** Grace timers, one per stale period (`<neighbor> <period>`). */
  private readonly staleTimers = new Map<string, TimerHandle>();
  private cycle: Promise<void> | undefined;
  private seenVersion = 0;
  private cached: { version: number; map: ServicesMap } | undefined;
  private lastRendered: string | undefined;
  private force = false;
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
    opts: DaemonOptions = {},
  ) {
    this.setup = setup;
    this.clock = opts.clock ?? realClock;
    this.version = opts.version ?? "unknown";
    this.jobDeps = { run: opts.run ?? runShell, files: opts.files ?? diskFiles, clock: this.clock, log };
    this.rejects = new LogThrottle(log, this.clock, { burst: REJECT_LOGS_PER_MINUTE });
    this.stateFileFailures = new LogThrottle(log, this.clock);
    const c = setup.config;
    this.rib = new Rib({ communityAsn: c.communityAsn, maxRoutes: c.maxRoutes });
    this.ingest = new Ingest(this.rib, { staleGraceMs: c.staleGraceMs, now: () => this.clock.now() }, this.hooks());
    this.debouncer = new Debouncer(c.debounceMs, c.maxWaitMs, c.startupWaitMs);
    this.jobs = this.makeJobs(setup);
    this.metrics = new ListenerMetrics({ rib: () => this.rib, stats: () => this.ingest.stats, services: () => this.services() });
    this.endpoint = new Endpoint({ metrics: () => this.metrics.render(), status: () => this.status(), page: () => listenerPage(this.status(), Date.now()) }, log, this.clock);
  }

  async start(): Promise<void> {
    const at = this.setup.config.http;
    await this.endpoint.serve(at);
    this.log.info("start", {
      community_asn: this.setup.config.communityAsn,
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
    for (;;) {
      if (this.cycle) await this.cycle;
      else if (this.debouncer.take(this.clock.now(), true)) await this.renderCycle();
      else break;
    }
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
    this.debouncer.setTimings(c.debounceMs, c.maxWaitMs, c.startupWaitMs);
    this.force = true;
    this.changed();
    return [];
  }

  private makeJobs(setup: Setup): RenderJob[] {
    return setup.config.templates.map((spec, i) => new RenderJob(spec, setup.templates[i]!, this.jobDeps));
  }

  private changed(): void {
    this.seenVersion = this.rib.version;
    this.debouncer.change(this.clock.now());
    this.arm();
  }

  // One timer at most, never later than the deadline: when it fires early
  // (changes kept coming) it is armed again for the new deadline.
  private arm(): void {
    if (this.timer !== undefined || this.stopping) return;
    const d = this.debouncer.deadline();
    if (d === undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.debouncer.take(this.clock.now())) void this.renderCycle();
      else this.arm();
    }, Math.max(0, Math.ceil(d - this.clock.now())));
  }

  private renderCycle(): Promise<void> {
    this.cycle = this.renderAll()
      .catch((e: unknown) => this.log.error("render_cycle_error", { error: e as Error }))
      .finally(() => {
        this.debouncer.finish();
        this.cycle = undefined;
        this.arm();
      });
    return this.cycle;
  }

  private async renderAll(): Promise<void> {
    const map = this.services();
    const json = servicesJson(map);
    const force = this.force;
    this.force = false;
    const retry = this.jobs.some((j) => j.last !== undefined && j.last.result !== "written" && j.last.result !== "unchanged");
    if (json === this.lastRendered && !force && !retry) return;
    this.lastRendered = json;
    await this.writeStateFile(json);
    for (const job of this.jobs) {
      const report = await job.render(templateData(map, job.spec.vars));
      this.metrics.rendered(job.spec.name, report);
    }
    this.log.debug("rendered", { ports: map.ports.length, routes: this.rib.size });
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
