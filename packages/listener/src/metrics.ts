// The listener's Prometheus metrics. Gauges that mirror state (routes,
// services, neighbors) are set from it at each scrape; counters that the hot
// path would pay for per line (lines read) are caught up from plain numbers.

import { LATENCY_BUCKETS, MetricsRegistry } from "@exacast/core";
import type { IngestStats, RejectReason } from "./ingest.js";
import type { RenderReport } from "./render-job.js";
import type { Rib } from "./rib.js";
import type { ServicesMap } from "./services.js";

export interface MetricsSources {
  rib(): Rib;
  stats(): IngestStats;
  services(): ServicesMap;
  /** Whether the table is known whole, and whether max_routes keeps routes out. */
  table?(): { complete: boolean; max_routes_reached: boolean };
}

export class ListenerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly lines = this.registry.counter("exacast_listener_lines_total", "Lines read from ExaBGP on stdin");
  private readonly skipped = this.registry.counter(
    "exacast_listener_lines_skipped_total",
    "Lines read but not parsed: the prefilter showed they cannot change the routes held",
  );
  private readonly rejected = this.registry.counter("exacast_listener_lines_rejected_total", "Lines refused, by reason", ["reason"]);
  private readonly refused = this.registry.counter("exacast_listener_routes_refused_total", "Service routes not held because max_routes was reached");
  private readonly routes = this.registry.gauge("exacast_listener_routes", "Service routes held, per neighbor", ["neighbor"]);
  private readonly staleRoutes = this.registry.gauge("exacast_listener_stale_routes", "Routes kept through a session loss (stale_grace), per neighbor", ["neighbor"]);
  private readonly neighborUp = this.registry.gauge("exacast_listener_neighbor_up", "1 while the BGP session with the neighbor is up", ["neighbor"]);
  private readonly prefixes = this.registry.gauge("exacast_listener_service_prefixes", "Distinct prefixes announced for each service port", ["port"]);
  private readonly backends = this.registry.gauge("exacast_listener_service_backends", "Routes (neighbor, path) for each service port", ["port"]);
  private readonly renders = this.registry.counter("exacast_listener_renders_total", "Template renders, by template and result", ["template", "result"]);
  private readonly renderSeconds = this.registry.histogram(
    "exacast_listener_render_duration_seconds",
    "Time to evaluate a template",
    LATENCY_BUCKETS,
    ["template"],
  );
  private readonly reloadFailures = this.registry.counter("exacast_listener_reload_failures_total", "Reload commands that failed", ["template"]);
  private readonly tableComplete = this.registry.gauge(
    "exacast_listener_table_complete",
    "0 while the table is known to be partial (re-learning after a restart, or a neighbor that cannot be asked): nothing is rendered",
  );
  private readonly maxRoutesReached = this.registry.gauge("exacast_listener_max_routes_reached", "1 while service routes are not held because of max_routes");
  private readonly configReloads = this.registry.counter("exacast_listener_config_reloads_total", "SIGHUP config reloads, by result", ["result"]);

  constructor(private readonly src: MetricsSources) {
    this.registry.onCollect(() => this.collect());
  }

  rendered(template: string, r: RenderReport): void {
    this.renders.inc({ template, result: r.result });
    if (r.result !== "template_error") this.renderSeconds.observe({ template }, r.renderSeconds);
    if (r.result === "reload_failed") this.reloadFailures.inc({ template });
  }

  configReloaded(result: "ok" | "refused"): void {
    this.configReloads.inc({ result });
  }

  render(): string {
    return this.registry.render();
  }

  private collect(): void {
    const s = this.src.stats();
    catchUp(this.lines, undefined, s.lines);
    catchUp(this.skipped, undefined, s.skipped);
    catchUp(this.refused, undefined, s.refused);
    for (const reason of Object.keys(s.rejected) as RejectReason[]) catchUp(this.rejected, { reason }, s.rejected[reason]);
    this.routes.reset();
    this.staleRoutes.reset();
    this.neighborUp.reset();
    for (const n of this.src.rib().neighborSummaries()) {
      this.routes.set({ neighbor: n.address }, n.routes);
      this.staleRoutes.set({ neighbor: n.address }, n.stale);
      this.neighborUp.set({ neighbor: n.address }, n.state === "up" ? 1 : 0);
    }
    const t = this.src.table?.();
    if (t) {
      this.tableComplete.set(undefined, t.complete ? 1 : 0);
      this.maxRoutesReached.set(undefined, t.max_routes_reached ? 1 : 0);
    }
    const map = this.src.services();
    this.prefixes.reset();
    this.backends.reset();
    for (const port of map.ports) {
      this.prefixes.set({ port }, map.services[port]!.length);
      this.backends.set({ port }, map.backends[port]!.length);
    }
  }
}

function catchUp(c: { get(l?: Record<string, string>): number; inc(l?: Record<string, string>, n?: number): void }, labels: Record<string, string> | undefined, total: number): void {
  const d = total - c.get(labels);
  if (d > 0) c.inc(labels, d);
}
