// ops/: the Prometheus alert rules pass `promtool check rules` and their unit
// tests (`promtool test rules`), the Grafana dashboard's queries are valid
// PromQL, and every metric the rules and the dashboard name is one the
// programs really serve: both are started and their /metrics scraped.

import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { parse as parseYaml } from "yaml";
import { Lab, repoRoot } from "../harness/index.js";
import type { Family } from "../harness/prometheus.js";
import { parsePrometheusText } from "../harness/prometheus.js";
import { startPrograms, TOKEN } from "./running-programs.js";
import type { RunningPrograms } from "./running-programs.js";

const exec = promisify(execFile);
const RULES = `${repoRoot}/ops/prometheus/exacast.rules.yml`;
const RULE_TESTS = `${repoRoot}/ops/prometheus/exacast.rules.test.yml`;
const DASHBOARD = `${repoRoot}/ops/grafana/exacast.dashboard.json`;

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string }[] } };
const rules = (parseYaml(readFileSync(RULES, "utf8")) as { groups: { name: string; rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })));
const ruleExprs = rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));

/** Grafana's variables, as Grafana would fill them in before asking Prometheus. */
const concrete = (expr: string) => expr.replaceAll("$instance", ".*").replaceAll("$__rate_interval", "1m");

/** Metric names in a PromQL expression (exacast's own; `up` is Prometheus's). */
const metricsIn = (expr: string) => [...expr.matchAll(/\b(exacast_[a-z0-9_]+)\b/g)].map((m) => m[1]!);

/** Label names a selector matches on, by metric: `name{label="…", other=~"…"}`. */
function matchersIn(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/\b(exacast_[a-z0-9_]+)\{([^}]*)\}/g)].map((m) => ({
    metric: m[1]!,
    labels: [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!).filter((l) => l !== "instance" && l !== "job"),
  }));
}

async function promtool(args: string[], input?: string): Promise<{ code: number; out: string }> {
  const child = exec("promtool", args, { cwd: `${repoRoot}/ops/prometheus` });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return child.then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe("ops/prometheus and ops/grafana", () => {
  it("the rules pass promtool check rules", async () => {
    const r = await promtool(["check", "rules", RULES]);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.code).toBe(0);
  });

  it("each alert fires on what it is about, and not on healthy series (promtool test rules)", async () => {
    const r = await promtool(["test", "rules", RULE_TESTS]);
    if (r.code !== 0) console.log(r.out);
    expect(r.code).toBe(0);
  });

  it("covers what the issue asks: render failures, stale routes, ack errors, flapping checks, Consul down", () => {
    const byAlert = new Map(rules.map((r) => [r.alert, r.expr]));
    expect(byAlert.get("ExacastRenderFailures")).toContain("exacast_listener_renders_total");
    expect(byAlert.get("ExacastStaleRoutes")).toContain("exacast_listener_stale_routes");
    expect(byAlert.get("ExacastAckErrors")).toContain('exacast_announcer_acks_total{result="error"}');
    expect(byAlert.get("ExacastCheckFlapping")).toContain("changes(exacast_announcer_app_serving");
    expect(byAlert.get("ExacastConsulDown")).toContain("exacast_announcer_consul_up == 0");
  });

  it("the dashboard is one Grafana can import: unique ids, panels side by side without overlap, a data source variable", () => {
    expect(dashboard.uid).toBe("exacast");
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(["datasource", "instance"]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.get(`${x},${y}`), `"${p.title}" overlaps`).toBeUndefined();
          cells.set(`${x},${y}`, p.title);
        }
      }
      if (p.type !== "row") expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it("every dashboard query is valid PromQL (checked by promtool as recording rules)", async () => {
    const lab = new Lab("ops-promql");
    try {
      const file = `${lab.dir}/dashboard-queries.yml`;
      const rulesOf = dashboardExprs.map((q, i) => ({ record: `exacast:dashboard_query_${i}`, expr: concrete(q.expr) }));
      writeFileSync(file, JSON.stringify({ groups: [{ name: "dashboard", rules: rulesOf }] }));
      const r = await promtool(["check", "rules", file]);
      if (r.code !== 0) console.log(r.out);
      expect(r.out).toContain(`SUCCESS: ${dashboardExprs.length} rules found`);
    } finally {
      await lab.close();
    }
  });
});

describe("against the metrics the programs serve", () => {
  const lab = new Lab("ops-metrics");
  let p: RunningPrograms;
  let served: Map<string, Family>;
  const texts: string[] = [];

  beforeAll(async () => {
    p = await startPrograms(lab);
    const a = await (await fetch(`${p.announcerUrl}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    const l = await (await fetch(`${p.listenerUrl}/metrics`)).text();
    texts.push(a, l);
    served = new Map([...parsePrometheusText(a).families, ...parsePrometheusText(l).families]);
  });
  afterAll(() => lab.close());

  it("serves exposition text promtool finds nothing to say about", async () => {
    for (const text of texts) {
      const r = await promtool(["check", "metrics"], text);
      expect(r.out).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it("every metric and label the rules and the dashboard name is served", () => {
    onTestFailed(() => console.log([...served.keys()].join("\n")));
    const unknown: string[] = [];
    const familyOf = (name: string) => served.get(name) ?? served.get(name.replace(/_(bucket|sum|count)$/, ""));
    for (const { where, expr } of [...ruleExprs, ...dashboardExprs]) {
      for (const m of metricsIn(expr)) if (!familyOf(m)) unknown.push(`${where}: ${m}`);
      for (const { metric, labels } of matchersIn(expr)) {
        const f = familyOf(metric);
        // A family's label names show on its samples: check those that have some.
        const seen = new Set(f?.samples.flatMap((s) => Object.keys(s.labels)) ?? []);
        if (seen.size > 0) for (const l of labels) if (l !== "le" && !seen.has(l)) unknown.push(`${where}: ${metric} has no label ${l}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it("the rules and the dashboard look at every family the programs serve", () => {
    const named = new Set([...ruleExprs, ...dashboardExprs].flatMap((q) => metricsIn(q.expr)).map((m) => m.replace(/_(bucket|sum|count)$/, "")));
    expect([...served.keys()].filter((f) => !named.has(f))).toEqual([]);
  });
});
