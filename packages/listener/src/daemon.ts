// The running listener: lines in, RIB, debounced renders out, stale timers,
// SIGHUP reloads, the HTTP endpoints. The imperative shell around the pure
// modules; main.ts feeds it stdin and signals.

import type { Server } from "node:http";
import { hostname } from "node:os";
import type { Logger } from "@exacast/core";
import { readIfExists, replaceFile } from "./atomic-file.js";
import { runCommand } from "./command.js";
import { Debouncer } from "./debounce.js";
import { causeOf, FailureLog } from "./failure-log.js";
import { startHttp, stopHttp } from "./http.js";
import { Ingest } from "./ingest.js";
import { ListenerMetrics } from "./metrics.js";
import { NeighborTimes } from "./neighbor-times.js";
import type { CommandRunner } from "./render-job.js";
import { RenderJob } from "./render-job.js";
import { Rib } from "./rib.js";
import type { ServicesMap } from "./services.js";
import { buildServices, servicesJson, templateData } from "./services.js";
import type { Setup } from "./setup.js";
import { statusOf } from "./status.js";
import { listenerPage } from "./status-page.js";

export interface DaemonOptions {
  now?: () => number;
  run?: CommandRunner;
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
  private http: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Grace timers, one per stale period (`<neighbor> <period>`). */
  private readonly staleTimers = new Map<string, NodeJS.Timeout>();
  private cycle: Promise<void> | undefined;
  private seenVersion = 0;
  private cached: { version: number; map: ServicesMap } | undefined;
  private lastRendered: string | undefined;
  private force = false;
  private stopping = false;
  private rejectWindow = { start: 0, logged: 0, suppressed: 0 };
  private readonly stateFileFailures = new FailureLog();
  private readonly now: () => number;
  private readonly run: CommandRunner;
  private readonly times = new NeighborTimes();
  private readonly started = new Date().toISOString();
  private readonly version: string;
  /** Renders done (all templates of one cycle count once): tests and benches read it. */
  renders = 0;

  constructor(
    setup: Setup,
    private readonly log: Logger,
    opts: DaemonOptions = {},
  ) {
    this.setup = setup;
    this.now = opts.now ?? (() => performance.now());
    this.run = opts.run ?? runCommand;
    this.version = opts.version ?? "unknown";
    const c = setup.config;
    this.rib = new Rib({ communityAsn: c.communityAsn, maxRoutes: c.maxRoutes });
    this.ingest = new Ingest(this.rib, { staleGraceMs: c.staleGraceMs, now: this.now }, this.hooks());
    this.debouncer = new Debouncer(c.debounceMs, c.maxWaitMs, c.startupWaitMs);
    this.jobs = this.makeJobs(setup);
    this.metrics = new ListenerMetrics({ rib: () => this.rib, stats: () => this.ingest.stats, services: () => this.services() });
  }

  async start(): Promise<void> {
    const at = this.setup.config.http;
    if (at) this.http = await startHttp(at, this.httpHandlers());
    this.log.info("start", {
      community_asn: this.setup.config.communityAsn,
      templates: this.jobs.map((j) => j.spec.name).join(",") || "none",
      ...(at ? { http: `${at.host}:${at.port}` } : {}),
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
    const toIso = (t: number) => new Date(Date.now() - (this.now() - t)).toISOString();
    return statusOf(this.rib, this.services(), this.jobs, this.ingest.stats, { host: hostname(), version: this.version, pid: process.pid, started: this.started, times: this.times, toIso });
  }

  /** EOF or SIGTERM: finish the render in progress and any pending one. */
  async finish(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      if (this.cycle) await this.cycle;
      else if (this.debouncer.take(this.now(), true)) await this.renderCycle();
      else break;
    }
    for (const t of this.staleTimers.values()) clearTimeout(t);
    this.staleTimers.clear();
    if (this.http) await stopHttp(this.http);
    this.http = undefined;
  }

  /** SIGHUP with a loaded setup: switch to it, or say why not (the old one keeps running). */
  async reload(next: Setup): Promise<string[]> {
    const old = this.setup.config;
    const c = next.config;
    if (c.communityAsn !== old.communityAsn) {
      return [`community_asn cannot change on reload (${old.communityAsn} → ${c.communityAsn}): routes of the new ASN were not kept; restart the listener`];
    }
    const sameHttp = c.http?.host === old.http?.host && c.http?.port === old.http?.port;
    if (!sameHttp) {
      let server: Server | undefined;
      try {
        if (c.http) server = await startHttp(c.http, this.httpHandlers());
      } catch (e) {
        return [`http.listen: cannot listen on ${c.http!.host}:${c.http!.port}: ${(e as Error).message}`];
      }
      if (this.http) await stopHttp(this.http);
      this.http = server;
    }
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
    return setup.config.templates.map((spec, i) => new RenderJob(spec, setup.templates[i]!, this.run, this.log, this.now));
  }

  private httpHandlers() {
    return { metrics: () => this.metrics.render(), status: () => this.status(), page: () => listenerPage(this.status(), Date.now()) };
  }

  private changed(): void {
    this.seenVersion = this.rib.version;
    this.debouncer.change(this.now());
    this.arm();
  }

  // One timer at most, never later than the deadline: when it fires early
  // (changes kept coming) it is armed again for the new deadline.
  private arm(): void {
    if (this.timer !== undefined || this.stopping) return;
    const d = this.debouncer.deadline();
    if (d === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.debouncer.take(this.now())) void this.renderCycle();
      else this.arm();
    }, Math.max(0, Math.ceil(d - this.now())));
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
    this.renders++;
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
    try {
      if ((await readIfExists(file)) === json) return;
    } catch {
      /* unreadable: try to replace it */
    }
    const r = await replaceFile(file, json);
    if (r.ok) {
      const back = this.stateFileFailures.succeeded(this.now());
      if (back) this.log.info("state_file_recovered", { file, failures: back.failures, after_ms: Math.round(back.afterMs) });
      return;
    }
    const v = this.stateFileFailures.failed(causeOf("write", r.error), this.now());
    if (v.log === "first") this.log.error("state_file_failed", { file, error: r.error });
    else if (v.log === "reminder") this.log.error("state_file_failed", { still_failing: true, file, error: r.error, failures: v.failures, since_ms: Math.round(v.sinceMs) });
  }

  private hooks() {
    return {
      rejected: (lineNo: number, reason: string, error: string) => this.logRejected(lineNo, reason, error),
      state: (neighbor: string, state: string, reason: string | undefined) => {
        this.times.state(neighbor, state, this.now());
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
    };
  }

  private armStale(neighbor: string, stopping: boolean, period: number): void {
    // ExaBGP stopping closes our stdin right after; should it go on talking
    // to us anyway, the routes go after STOPPING_GRACE_MS.
    const grace = stopping ? Math.max(this.setup.config.staleGraceMs, STOPPING_GRACE_MS) : this.setup.config.staleGraceMs;
    this.log.info("routes_kept", { neighbor, why: stopping ? "ExaBGP is stopping" : "stale_grace", grace_ms: grace });
    const key = `${neighbor} ${period}`;
    this.times.staleStarted(neighbor, period, this.now() + grace);
    this.staleTimers.set(
      key,
      setTimeout(() => {
        this.staleTimers.delete(key);
        this.times.staleEnded(neighbor, period);
        const n = this.rib.expireStale(neighbor, period);
        if (n > 0) this.log.info("stale_routes_removed", { neighbor, routes: n });
        if (this.rib.version !== this.seenVersion) this.changed();
      }, grace),
    );
  }

  private logRejected(lineNo: number, reason: string, error: string): void {
    const w = this.rejectWindow;
    const t = Date.now();
    if (t - w.start >= 60_000) {
      if (w.suppressed > 0) this.log.warn("lines_not_logged", { count: w.suppressed });
      this.rejectWindow = { start: t, logged: 0, suppressed: 0 };
    }
    if (this.rejectWindow.logged++ < REJECT_LOGS_PER_MINUTE) this.log.warn("line_skipped", { line: lineNo, reason, error });
    else this.rejectWindow.suppressed++;
  }
}
