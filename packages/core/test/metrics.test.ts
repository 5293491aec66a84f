import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "../src/metrics.js";

describe("MetricsRegistry", () => {
  it("renders counters, gauges and histograms in the text format", () => {
    const m = new MetricsRegistry();
    const c = m.counter("exacast_commands_total", "Commands written", ["verb"]);
    const g = m.gauge("exacast_app_up", "1 while UP", ["app"]);
    const h = m.histogram("exacast_check_seconds", "Check latency", [0.01, 0.1], ["app"]);
    c.inc({ verb: "announce" });
    c.inc({ verb: "announce" }, 2);
    g.set({ app: 'we"b\n' }, 1);
    h.observe({ app: "web" }, 0.005);
    h.observe({ app: "web" }, 0.05);
    h.observe({ app: "web" }, 3);
    expect(m.render()).toBe(
      [
        "# HELP exacast_commands_total Commands written",
        "# TYPE exacast_commands_total counter",
        'exacast_commands_total{verb="announce"} 3',
        "# HELP exacast_app_up 1 while UP",
        "# TYPE exacast_app_up gauge",
        'exacast_app_up{app="we\\"b\\n"} 1',
        "# HELP exacast_check_seconds Check latency",
        "# TYPE exacast_check_seconds histogram",
        'exacast_check_seconds_bucket{app="web",le="0.01"} 1',
        'exacast_check_seconds_bucket{app="web",le="0.1"} 2',
        'exacast_check_seconds_bucket{app="web",le="+Inf"} 3',
        'exacast_check_seconds_sum{app="web"} 3.055',
        'exacast_check_seconds_count{app="web"} 3',
        "",
      ].join("\n"),
    );
  });

  it("shows unlabelled metrics at zero and runs collectors first", () => {
    const m = new MetricsRegistry();
    m.counter("exacast_lines_total", "Lines");
    const g = m.gauge("exacast_routes", "Routes");
    m.onCollect(() => g.set(undefined, 42));
    expect(m.render()).toContain("exacast_lines_total 0\n");
    expect(m.render()).toContain("exacast_routes 42\n");
  });

  it("refuses bad names, unknown labels and duplicates", () => {
    const m = new MetricsRegistry();
    expect(() => m.counter("bad-name", "x")).toThrow();
    const c = m.counter("ok_total", "x", ["a"]);
    expect(() => c.inc({ b: "1" })).toThrow();
    expect(() => m.gauge("ok_total", "x")).toThrow();
    expect(() => c.inc({ a: "1" }, -1)).toThrow();
  });
});
