// GET /: the listener's status page, from what /status holds. The services
// map as the templates see it (per port its backends, draining or stale),
// the neighbors, each template's last render, and what came in on stdin.
// Pure: status and time in, HTML out; every value from outside is escaped by
// the `html` tag.

import type { Html, Row, Tone } from "@exacast/core";
import { ago, html, humanDuration, pairs, pill, section, statusPage, table } from "@exacast/core";
import type { RenderResult } from "./render-job.js";
import type { ListenerStatus } from "./status.js";

/** Backend rows shown at most: a full table is for /status, not a page that reloads every few seconds. */
export const MAX_BACKEND_ROWS = 500;
export const REFRESH_SECONDS = 5;

const STATE_TONE: Record<string, Tone> = { up: "ok", connected: "warn", down: "bad" };

const RESULTS: Record<RenderResult, { tone: Tone; file: string }> = {
  written: { tone: "ok", file: "written" },
  unchanged: { tone: "ok", file: "already up to date" },
  template_error: { tone: "bad", file: "not written: left as it was" },
  check_failed: { tone: "bad", file: "not written: left as it was" },
  write_failed: { tone: "bad", file: "not written: left as it was" },
  reload_failed: { tone: "bad", file: "not kept: the previous file put back" },
};

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

function graceLeft(until: string | null, now: number): string {
  if (until === null) return "stale";
  return `stale, ${humanDuration(Date.parse(until) - now)} left`;
}

function services(s: ListenerStatus, now: number): Html {
  const stale = new Map(s.stale.map((x) => [`${x.neighbor} ${x.prefix} ${x.path_id}`, x.until]));
  const rows: Row[] = [];
  let shown = 0;
  let total = 0;
  for (const port of s.ports) {
    const list = s.backends[port] ?? [];
    total += list.length;
    if (shown >= MAX_BACKEND_ROWS) continue;
    rows.push({ group: true, cells: [html`port ${port} <span class="muted">· ${plural(s.services[port]?.length ?? 0, "prefix", "prefixes")} · ${plural(list.length, "backend")}</span>`] });
    for (const b of list.slice(0, MAX_BACKEND_ROWS - shown)) {
      shown++;
      const key = `${b.neighbor} ${b.prefix} ${b.pathId}`;
      const pills = [stale.has(key) ? pill(graceLeft(stale.get(key) ?? null, now), "warn") : null, b.draining ? pill("draining", "warn") : null].filter((p) => p !== null);
      const state = pills.length ? pills.map((p, i) => (i ? html` ${p}` : p)) : pill("up", "ok");
      rows.push({
        tone: stale.has(key) || b.draining ? "warn" : "ok",
        cells: [
          html`<span class="mono">${b.address}<span class="muted">/${b.length}</span></span>`,
          state,
          html`<span class="mono">${b.neighbor}</span>`,
          b.pathId,
          html`<span class="mono">${b.nexthop}</span>`,
          b.med ?? html`<span class="muted">—</span>`,
          b.localPref ?? html`<span class="muted">—</span>`,
          html`<span class="mono">${b.communities.join(" ")}</span>`,
        ],
      });
    }
  }
  if (shown < total) rows.push({ group: true, cells: [html`<span class="muted">${plural(total - shown, "more backend")} not shown: see <a href="status">/status</a></span>`] });
  const cols = [{ label: "Backend" }, { label: "State" }, { label: "Neighbor" }, { label: "Path id", num: true }, { label: "Next hop" }, { label: "MED", num: true }, { label: "Local pref", num: true }, { label: "Communities" }];
  return section("Services", `${plural(s.ports.length, "port")}, as the templates see them`, table(cols, rows, "No services: no route carries a service community."), "services");
}

function neighbors(s: ListenerStatus, now: number): Html {
  const soonest = new Map<string, string | null>();
  for (const x of s.stale) {
    const prev = soonest.get(x.neighbor);
    if (prev === undefined || (x.until !== null && (prev === null || x.until < prev))) soonest.set(x.neighbor, x.until);
  }
  const rows = s.neighbors.map((n): Row => {
    const tone = STATE_TONE[n.state] ?? "idle";
    return {
      tone,
      cells: [
        html`<span class="mono">${n.address}</span>`,
        pill(n.state, tone),
        ago(n.since, now),
        n.routes,
        n.stale > 0 ? pill(`${n.stale} ${graceLeft(soonest.get(n.address) ?? null, now)}`, "warn") : html`<span class="muted">0</span>`,
      ],
    };
  });
  const cols = [{ label: "Neighbor" }, { label: "Session" }, { label: "Since" }, { label: "Routes", num: true }, { label: "Stale" }];
  return section("Neighbors", plural(s.neighbors.length, "neighbor"), table(cols, rows, "No neighbor seen yet."), "neighbors");
}

function templates(s: ListenerStatus, now: number): Html {
  const rows = s.templates.map((t): Row => {
    const r = t.last ? RESULTS[t.last.result] : undefined;
    return {
      tone: r?.tone ?? "idle",
      cells: [
        t.name,
        html`<span class="mono nowrap">${t.destination}</span>`,
        ago(t.last?.at, now),
        t.last ? pill(t.last.result.replace("_", " "), r!.tone) : pill("not yet", "idle"),
        r ? r.file : html`<span class="muted">—</span>`,
        t.last?.error ? html`<span class="err mono">${t.last.error}</span>` : "",
      ],
    };
  });
  const cols = [{ label: "Template" }, { label: "Destination" }, { label: "Last render" }, { label: "Result" }, { label: "File" }, { label: "Error" }];
  return section("Templates", plural(s.templates.length, "template"), table(cols, rows, "No templates: the listener only keeps the map (and the state file)."), "templates");
}

function input(s: ListenerStatus): Html {
  const l = s.lines;
  const rejected = Object.entries(l.rejected);
  return section(
    "Input from ExaBGP",
    "",
    pairs([
      ["Lines read", l.read.toLocaleString("en-US")],
      ["Skipped (prefilter)", l.skipped.toLocaleString("en-US")],
      ...rejected.map(([why, n]): [string, Html] => [`Rejected: ${why.replace(/_/g, " ")}`, n > 0 ? html`<span class="err">${n}</span>` : html`${n}`]),
      ["Refused (max_routes)", l.refused > 0 ? html`<span class="err">${l.refused}</span>` : l.refused],
      ["Routes held", s.routes.toLocaleString("en-US")],
    ]),
    "input",
  );
}

export function listenerPage(s: ListenerStatus, now: number): string {
  const backends = s.ports.reduce((n, p) => n + (s.backends[p]?.length ?? 0), 0);
  const up = s.neighbors.filter((n) => n.state === "up").length;
  const failing = s.templates.filter((t) => t.last && RESULTS[t.last.result].tone === "bad").length;
  const draining = s.ports.reduce((n, p) => n + (s.backends[p]?.filter((b) => b.draining).length ?? 0), 0);
  const rejected = Object.values(s.lines.rejected).reduce((a, b) => a + b, 0);
  return statusPage({
    program: "exacast-listener",
    host: s.host,
    meta: [
      s.version ? `v${s.version}` : "",
      s.pid ? `pid ${s.pid}` : "",
      s.started ? html`up ${humanDuration(now - Date.parse(s.started))}` : "",
    ],
    refreshSeconds: REFRESH_SECONDS,
    now,
    facts: [
      { label: "Service ports", value: s.ports.length, tone: "info" },
      { label: "Backends", value: backends, tone: backends > 0 ? "ok" : "idle" },
      { label: "Neighbors up", value: `${up} / ${s.neighbors.length}`, tone: s.neighbors.length === 0 ? "idle" : up === s.neighbors.length ? "ok" : "bad" },
      { label: "Draining", value: draining, tone: draining > 0 ? "warn" : "idle" },
      { label: "Stale routes", value: s.stale.length, tone: s.stale.length > 0 ? "warn" : "idle" },
      { label: "Templates failing", value: `${failing} / ${s.templates.length}`, tone: failing > 0 ? "bad" : s.templates.length > 0 ? "ok" : "idle" },
      { label: "Lines rejected", value: rejected, tone: rejected > 0 ? "warn" : "idle" },
    ],
    sections: [services(s, now), templates(s, now), html`<div class="cols">${neighbors(s, now)}${input(s)}</div>`],
  });
}
