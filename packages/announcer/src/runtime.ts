// Everything beside the health checks that the announcer runs when the
// config asks for it: metrics (always counted, served with the API), the
// HTTP API with its apps and state file, and Consul discovery. It sees the
// announcer only through its AnnouncerView; started after the config's apps
// are loaded.

import { hostname } from "node:os";
import { dirname, resolve as resolvePath } from "node:path";
import type { Logger } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import { EndpointServer, isoFrom, realClock } from "@exacast/runtime";
import type { AnnouncerView } from "./announcer-view.js";
import type { ApiBackend } from "./api.js";
import { checkAll } from "./check-all.js";
import { apiRoutes } from "./api.js";
import type { RequestContext } from "./app-request.js";
import type { AnnouncerConfig } from "./config.js";
import { ConsulApps } from "./consul/apps.js";
import type { ConsulApi } from "./consul/client.js";
import { createConsulApi } from "./consul/client.js";
import { ConsulDiscovery } from "./consul/discovery.js";
import type { ConsulHealth } from "./consul/health.js";
import { HttpCleanup } from "./cleanup.js";
import { NeighborBook } from "./gocast-info.js";
import { HttpApps } from "./http-apps.js";
import type { NatRunner } from "./nat.js";
import { NatController } from "./nat.js";
import { natWiring } from "./nat-wiring.js";
import { AnnouncerMetrics } from "./metrics.js";
import { StateFile } from "./state-file.js";
import { announcerPage } from "./status-page.js";
import type { AnnouncerStatus, ToIso } from "./views.js";
import { appJson, appsJson, vipsJson } from "./views.js";

export interface RuntimeOptions {
  readonly version: string;
  /** The Consul API (tests may give their own); created from the config otherwise. */
  readonly consulApi?: ConsulApi;
  readonly clock?: Clock;
  /** Runs the firewall commands of `nat` (tests give their own). */
  readonly natRunner?: NatRunner;
}

export class Runtime {
  readonly metrics: AnnouncerMetrics;
  readonly httpApps: HttpApps | null = null;
  readonly server: EndpointServer | null = null;
  readonly discovery: ConsulDiscovery | null = null;
  private readonly consulApps: ConsulApps | null = null;
  private readonly store: StateFile | null = null;
  private readonly toIso: ToIso;
  private readonly clock: Clock;
  private readonly startedAt = Date.now();
  /** Resolves at Consul's first list of services. */
  private readonly consulSynced: Promise<void>;
  /** ExaBGP's neighbors as reported, for GoCast's /info. */
  readonly neighbors = new NeighborBook();
  readonly cleanup: HttpCleanup | null = null;
  readonly nat: NatController;

  constructor(
    private readonly cfg: AnnouncerConfig,
    private readonly announcer: AnnouncerView,
    private readonly health: ConsulHealth | null,
    private readonly log: Logger,
    private readonly opts: RuntimeOptions,
  ) {
    const clock = opts.clock ?? realClock;
    this.clock = clock;
    let synced = () => {};
    this.consulSynced = new Promise((resolve) => (synced = resolve));
    const now = () => clock.now();
    this.toIso = isoFrom(clock);
    const reg = announcer.registry;
    this.metrics = new AnnouncerMetrics({
      apps: () => reg.entries(),
      snapshot: () => announcer.snapshot(),
      consul: () => (cfg.consul ? { ...(this.discovery?.status ?? { reachable: null, errors: 0, updates: 0 }), skipped: this.consulApps?.skipped ?? 0 } : null),
    });
    announcer.observe({
      wrote: (lines) => this.metrics.wrote(lines),
      checked: (e, r) => {
        this.metrics.checked(e, r);
        this.cleanup?.checked(e);
      },
      neighbor: (address, state) => this.neighbors.seen(address, state, clock.now()),
    });
    reg.on((ev) => {
      if (ev.kind === "removed") this.metrics.removed(ev.entry.spec.name);
      this.cleanup?.onRegistry(ev);
    });
    this.nat = new NatController(cfg.natBackend, log, opts.natRunner);
    natWiring(announcer, this.nat, clock, log);
    const base = { globals: cfg, baseDir: dirname(resolvePath(cfg.file)) };
    if (cfg.http) {
      const ctx: RequestContext = {
        ...base,
        rules: {
          consul: cfg.consul !== null,
          exec: cfg.http.allowExec,
          execRefused: "exec checks run commands on this host and are refused over HTTP; set http.allow_exec: true in the config to allow them",
        },
      };
      this.store = cfg.http.stateFile ? new StateFile(cfg.http.stateFile, log) : null;
      const after = cfg.http.cleanupAfter;
      if (after !== null) this.cleanup = new HttpCleanup(after, clock, (name) => this.httpApps?.remove(name), log);
      const onRegistered = (name: string) => this.cleanup?.registered(name);
      this.httpApps = new HttpApps(reg, ctx, { allowExec: cfg.http.allowExec, onRegistered }, this.store, log, (name) => this.app(name));
      this.server = new EndpointServer(
        { listen: cfg.http.listen, token: cfg.http.token, onReply: (route, code) => this.metrics.request(route, code), clock },
        apiRoutes(this.backend()),
        log,
      );
    }
    if (cfg.consul && health) {
      const c = cfg.consul;
      const ctx: RequestContext = {
        ...base,
        rules: { consul: true, exec: c.allowExec, execRefused: "exec checks from Consul tags are refused; set consul.allow_exec: true to allow them" },
      };
      const apps = new ConsulApps(reg, { tag: c.tag, allowExec: c.allowExec }, ctx, log);
      this.consulApps = apps;
      this.discovery = new ConsulDiscovery(c, {
        api: opts.consulApi ?? createConsulApi(c),
        health,
        log,
        now,
        ...(opts.clock ? { clock: opts.clock } : {}),
        sink: (services) => {
          const n = apps.sync(services);
          synced();
          return n;
        },
        onChecks: () => this.consulChecksChanged(),
      });
    }
  }

  /** State file apps first (so the API never shows a half-restored set), then the API, then Consul. */
  async start(): Promise<void> {
    if (this.store && this.httpApps) {
      const saved = await this.store.load();
      this.httpApps.restore(saved);
      if (saved.length > 0) this.log.info("state_file_loaded", { file: this.store.path, apps: this.httpApps.size });
    }
    const h = this.cfg.http;
    if (h && h.token === null && !isLoopback(h.listen.host)) {
      // Anyone who reaches this address can then announce routes from this host.
      this.log.warn("http_no_token", { address: h.listen.host, hint: "the API listens beyond loopback without http.token: set a token" });
    }
    await this.server?.start();
    if (this.discovery) {
      const c = this.cfg.consul!;
      this.log.info("consul_start", {
        address: `${c.address.secure ? "https" : "http"}://${c.address.host}:${c.address.port}`,
        node: c.node ?? "(from the agent)",
        tag: c.tag,
        token: c.tokenFrom ?? "none",
      });
      this.discovery.start();
    }
  }

  /**
   * Every source of apps has given its apps once, after start(): the config
   * and the state file at once, Consul at its first answer (or after `hold`
   * without one: an inherited VIP waits no longer than a `consul` check would).
   */
  async appsLoaded(): Promise<void> {
    if (!this.discovery) return;
    let timer: unknown;
    const hold = new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, this.cfg.consul!.hold)));
    await Promise.race([this.consulSynced, hold]);
    this.clock.clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.discovery?.stop();
    this.cleanup?.stop();
    await Promise.all([this.server?.stop(), this.nat.clear()]);
    await this.store?.flushed();
  }

  app(name: string): unknown {
    const e = this.announcer.registry.get(name);
    return e ? appJson(e, this.toIso) : undefined;
  }

  status(): AnnouncerStatus {
    const a = this.announcer.snapshot();
    const l = a.link;
    const d = this.discovery?.status;
    return {
      program: "exacast-announcer",
      host: hostname(),
      version: this.opts.version,
      pid: process.pid,
      started: new Date(this.startedAt).toISOString(),
      draining: a.draining,
      stopping: a.stopping,
      announced: a.announced.map((r) => ({ vip: r.prefix.text, command: r.announce })),
      vips: vipsJson(this.announcer.registry.entries(), new Map(a.announced.map((r) => [r.prefix.text, r]))),
      exabgp: { ack: l.acking, commands: l.commands, acks: l.acks, ack_errors: l.ackErrors, ack_timeouts: l.ackTimeouts, resends: a.resends },
      http: this.cfg.http ? { apps: this.httpApps?.size ?? 0, state_file: this.cfg.http.stateFile } : null,
      consul: d
        ? {
            node: d.node,
            reachable: d.reachable,
            last_error: d.lastError,
            outage_since: d.since === null ? null : this.toIso(d.since),
            updates: d.updates,
            errors: d.errors,
            services: d.services,
            skipped: this.consulApps?.skipped ?? 0,
          }
        : null,
      apps: appsJson(this.announcer.registry.entries(), this.toIso),
    };
  }

  private backend(): ApiBackend {
    const apps = this.httpApps!;
    const announcer = this.announcer;
    return {
      apps: () => appsJson(announcer.registry.entries(), this.toIso),
      app: (name) => this.app(name),
      put: (name, body) => apps.put(name, body),
      remove: (name) => apps.remove(name),
      register: (q) => apps.register(q),
      unregister: (q) => apps.unregister(q),
      info: () => this.neighbors.info((t) => Date.now() - (this.clock.now() - t)),
      checkAll: () => checkAll(announcer, this.log, "POST /v1/checks"),
      metrics: () => this.metrics.render(),
      status: () => this.status(),
      page: () => announcerPage(this.status(), Date.now()),
      get stopping() {
        return announcer.snapshot().stopping;
      },
    };
  }

  // Consul's checks changed: the apps whose `consul` verdict moved are checked now, not at their next interval.
  private consulChecksChanged(): void {
    const health = this.health!;
    for (const e of this.announcer.registry.entries()) {
      const moved = e.spec.checks.some((c, i) => c.kind === "consul" && health.verdict(c.service ?? e.spec.name).ok !== (e.results[i]?.ok ?? null));
      if (moved) this.announcer.checkNow(e.spec.name);
    }
  }
}

function isLoopback(host: string): boolean {
  return host === "::1" || host === "localhost" || /^127\./.test(host);
}
