// The announcer's Prometheus metrics (GET /metrics). Check results and
// latency are counted as they come (per app and check kind); gauges that
// mirror state (app states, announced VIPs) and counters kept as plain
// numbers elsewhere (the ExaBGP link's) are set at each scrape.

import type { Counter, Gauge, Labels } from "@exacast/core";
import { LATENCY_BUCKETS, MetricsRegistry, commandVerb } from "@exacast/core";
import type { AppCheckResult } from "./checks/index.js";
import type { AppSource } from "./model.js";
import { APP_SOURCES } from "./model.js";
import type { StateName } from "./fsm.js";
import type { AnnouncerSnapshot } from "./announcer-view.js";
import type { AppEntry } from "./registry.js";

const STATES: readonly StateName[] = ["INIT", "RISING", "UP", "FALLING", "DOWN", "DISABLED"];

/** What the scrape reads. */
export interface MetricsSources {
  apps(): Iterable<AppEntry>;
  snapshot(): AnnouncerSnapshot;
  /** null: Consul discovery is off. */
  consul(): { reachable: boolean | null; errors: number; updates: number; skipped: number } | null;
}

export class AnnouncerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly apps = this.registry.gauge("exacast_announcer_apps", "Apps run, by where they came from", ["source"]);
  private readonly state = this.registry.gauge("exacast_announcer_app_state", "1 for the state each app is in (INIT, RISING, UP, FALLING, DOWN, DISABLED), 0 for the others", ["app", "state"]);
  private readonly serving = this.registry.gauge("exacast_announcer_app_serving", "1 while the app's ports are announced (its last settled state was UP)", ["app"]);
  private readonly results = this.registry.counter("exacast_announcer_check_results_total", "Check results, by app, check kind and result (pass, fail)", ["app", "kind", "result"]);
  private readonly latency = this.registry.histogram("exacast_announcer_check_duration_seconds", "How long each check took", LATENCY_BUCKETS, ["app", "kind"]);
  private readonly commands = this.registry.counter("exacast_announcer_commands_written_total", "Commands written to ExaBGP on stdout, by command", ["command"]);
  private readonly acks = this.registry.counter("exacast_announcer_acks_total", "ExaBGP's answers to commands, by answer (done, error)", ["result"]);
  private readonly ackTimeouts = this.registry.counter("exacast_announcer_ack_timeouts_total", "Commands ExaBGP did not answer in time");
  private readonly resends = this.registry.counter("exacast_announcer_resends_total", "Times every announced VIP was sent again (a neighbor came up)");
  private readonly vips = this.registry.gauge("exacast_announcer_vips_announced", "VIPs ExaBGP was told to announce");
  private readonly vip = this.registry.gauge("exacast_announcer_vip_announced", "1 for each VIP ExaBGP was told to announce", ["vip"]);
  private readonly draining = this.registry.gauge("exacast_announcer_draining", "1 while every VIP is announced draining (65535:0)");
  private readonly http = this.registry.counter("exacast_announcer_http_requests_total", "Requests to the HTTP API, by route and status code", ["route", "code"]);
  private readonly consulMetrics: { up: Gauge; errors: Counter; updates: Counter; skipped: Gauge } | null;
  /** Per app and check kind, its series bound once: 2,000 checks a second must not rebuild label keys. */
  private readonly series = new Map<string, Map<string, { pass: (n?: number) => void; fail: (n?: number) => void; seconds: (v: number) => void }>>();

  constructor(private readonly src: MetricsSources) {
    // Consul's series exist only when discovery is configured: a 0 would read as "the agent is down".
    this.consulMetrics = src.consul()
      ? {
          up: this.registry.gauge("exacast_announcer_consul_up", "1 while the Consul agent answers, 0 while it does not (or has not yet)"),
          errors: this.registry.counter("exacast_announcer_consul_errors_total", "Consul queries that failed"),
          updates: this.registry.counter("exacast_announcer_consul_updates_total", "Changes of the node's services seen by the Consul watch"),
          skipped: this.registry.gauge("exacast_announcer_consul_services_skipped", "Tagged Consul services skipped because their tags are invalid"),
        }
      : null;
    this.registry.onCollect(() => this.collect());
  }

  /** One run of an app's checks. */
  checked(e: AppEntry, r: AppCheckResult): void {
    const app = e.spec.name;
    let mine = this.series.get(app);
    if (!mine) this.series.set(app, (mine = new Map()));
    for (const c of r.results) {
      if (!c) continue;
      let s = mine.get(c.kind);
      if (!s) {
        s = {
          pass: this.results.bind({ app, kind: c.kind, result: "pass" }),
          fail: this.results.bind({ app, kind: c.kind, result: "fail" }),
          seconds: this.latency.bind({ app, kind: c.kind }),
        };
        mine.set(c.kind, s);
      }
      if (c.ok) s.pass();
      else s.fail();
      s.seconds(c.latencyMs / 1000);
    }
  }

  /** The app is gone: so are its series. */
  removed(app: string): void {
    for (const kind of this.series.get(app)?.keys() ?? []) {
      this.results.remove({ app, kind, result: "pass" });
      this.results.remove({ app, kind, result: "fail" });
      this.latency.remove({ app, kind });
    }
    this.series.delete(app);
  }

  /** Lines written to ExaBGP. */
  wrote(lines: readonly string[]): void {
    // Either API's form, to every neighbor or to chosen ones.
    for (const l of lines) this.commands.inc({ command: commandVerb(l) ?? "other" });
  }

  request(route: string, code: number): void {
    this.http.inc({ route, code });
  }

  render(): string {
    return this.registry.render();
  }

  private collect(): void {
    const bySource = new Map<AppSource, number>(APP_SOURCES.map((s) => [s, 0]));
    this.state.reset();
    this.serving.reset();
    for (const e of this.src.apps()) {
      const app = e.spec.name;
      bySource.set(e.spec.source, (bySource.get(e.spec.source) ?? 0) + 1);
      for (const s of STATES) this.state.set({ app, state: s }, e.state.name === s ? 1 : 0);
      this.serving.set({ app }, e.state.serving ? 1 : 0);
    }
    for (const [source, n] of bySource) this.apps.set({ source }, n);
    const a = this.src.snapshot();
    this.vip.reset();
    for (const r of a.announced) this.vip.set({ vip: r.prefix.text }, 1);
    this.vips.set(undefined, a.announced.length);
    this.draining.set(undefined, a.draining ? 1 : 0);
    const l = a.link;
    catchUp(this.acks, { result: "done" }, l.acks - l.ackErrors);
    catchUp(this.acks, { result: "error" }, l.ackErrors);
    catchUp(this.ackTimeouts, undefined, l.ackTimeouts);
    catchUp(this.resends, undefined, a.resends);
    const c = this.src.consul();
    const m = this.consulMetrics;
    if (c && m) {
      m.up.set(undefined, c.reachable ? 1 : 0);
      catchUp(m.errors, undefined, c.errors);
      catchUp(m.updates, undefined, c.updates);
      m.skipped.set(undefined, c.skipped);
    }
  }
}

function catchUp(c: Counter, labels: Labels | undefined, total: number): void {
  const d = total - c.get(labels);
  if (d > 0) c.inc(labels, d);
}
