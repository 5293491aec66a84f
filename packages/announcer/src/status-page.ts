// GET /: the announcer's status page, from what /status holds. Per app its
// source, state and checks; per VIP what ExaBGP was told and which apps hold
// it; ExaBGP's answers and Consul's health. Pure: status and time in, HTML
// out; every value from outside (Consul names, check output, error text) is
// escaped by the `html` tag.

import type { Html, Row, Tone } from "@exacast/core";
import { ago, html, humanDuration, pairs, pill, section, statusPage, table } from "@exacast/core";
import type { AnnouncerStatus } from "./views.js";

export const REFRESH_SECONDS = 5;

type App = AnnouncerStatus["apps"][number];

const STATE_TONE: Record<string, Tone> = { UP: "ok", DOWN: "bad", RISING: "warn", FALLING: "warn", INIT: "idle", DISABLED: "info" };
const SOURCE_TONE: Record<string, Tone> = { config: "idle", http: "info", consul: "info" };

const none = html`<span class="muted">—</span>`;
const mono = (s: string) => html`<span class="mono">${s}</span>`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function latency(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

function checks(a: App): Html {
  if (a.checks.length === 0) return html`<span class="muted">none: always up</span>`;
  const items = a.checks.map((c) => {
    const r = c.last;
    const verdict = r === null ? pill("not run", "idle") : r.maintenance ? pill("maintenance", "info") : r.ok ? pill("pass", "ok") : pill("fail", "bad");
    const detail = r === null ? "" : html` <span class="${r.ok ? "muted" : "err"}">${r.reason}</span> <span class="muted">· ${latency(r.latency_ms)}</span>`;
    return html`<li>${verdict} ${mono(c.check)}${detail}</li>`;
  });
  return html`<ul class="checks">${items}</ul>`;
}

function apps(s: AnnouncerStatus, now: number): Html {
  const rows = s.apps.map((a): Row => {
    const tone = STATE_TONE[a.state] ?? "idle";
    const state = a.serving && a.state !== "UP" ? html`${pill(a.state, tone)} <span class="muted">still serving</span>` : pill(a.state, tone);
    return {
      tone,
      cells: [html`<b>${a.name}</b>`, pill(a.source, SOURCE_TONE[a.source] ?? "idle"), state, ago(a.since, now), mono(a.vips.join(" ")), a.ports.length ? a.ports.join(" ") : none, checks(a)],
    };
  });
  const cols = [{ label: "App" }, { label: "Source" }, { label: "State" }, { label: "Since" }, { label: "VIPs" }, { label: "Ports" }, { label: "Checks: last result, latency" }];
  const up = s.apps.filter((a) => a.state === "UP").length;
  return section("Apps", `${up} of ${plural(s.apps.length, "app")} up`, table(cols, rows, "No apps: none in the config, none registered over HTTP or found in Consul."), "apps");
}

function vips(s: AnnouncerStatus): Html {
  const rows = s.vips.map((v): Row => {
    const tone: Tone = !v.announced ? "bad" : v.draining ? "warn" : "ok";
    const state = !v.announced ? pill("withdrawn", "bad") : v.draining ? pill("announced, draining", "warn") : pill("announced", "ok");
    const held = v.apps.length ? v.apps.map((n) => html`<b>${n}</b>`) : [none];
    const down = v.apps_not_serving.length ? html` <span class="muted">(not serving: ${v.apps_not_serving.join(", ")})</span>` : "";
    return {
      tone,
      cells: [mono(v.vip), state, v.communities.length ? mono(v.communities.join(" ")) : none, v.med ?? none, v.local_pref ?? none, html`${held.map((h, i) => (i ? html`, ${h}` : h))}${down}`],
    };
  });
  const cols = [{ label: "VIP" }, { label: "Route" }, { label: "Communities announced" }, { label: "MED", num: true }, { label: "Local pref", num: true }, { label: "Held by" }];
  const announced = s.vips.filter((v) => v.announced).length;
  return section("VIPs", `${announced} of ${plural(s.vips.length, "VIP")} announced`, table(cols, rows, "No VIPs: no app names one."), "vips");
}

function exabgp(s: AnnouncerStatus): Html {
  const e = s.exabgp;
  const bad = (n: number) => (n > 0 ? html`<span class="err">${n}</span>` : html`${n}`);
  return section(
    "ExaBGP",
    e.ack ? "acks on: every command waits for done or error" : "acks off",
    pairs([
      ["Commands sent", e.commands],
      ["Acknowledged", e.ack ? e.acks : none],
      ["Answered error", bad(e.ack_errors)],
      ["Not answered in time", bad(e.ack_timeouts)],
      ["Sent again (neighbor up)", e.resends],
    ]),
    "exabgp",
  );
}

function consul(s: AnnouncerStatus, now: number): Html {
  const c = s.consul;
  if (c === null) return section("Consul", "not configured", html`<p class="empty">Consul discovery is off (no <code>consul:</code> in the config).</p>`, "consul");
  const reach = c.reachable === null ? pill("no answer yet", "idle") : c.reachable ? pill("reachable", "ok") : pill("unreachable", "bad");
  return section(
    "Consul",
    c.node === null ? "" : html`node ${c.node}`,
    pairs([
      ["Agent", reach],
      ["Outage since", c.outage_since ? ago(c.outage_since, now) : none],
      ["Last error", c.last_error ? html`<span class="err">${c.last_error}</span>` : none],
      ["Services on the node", c.services],
      ["Skipped (bad tags)", c.skipped > 0 ? html`<span class="err">${c.skipped}</span>` : c.skipped],
      ["Updates / errors", `${c.updates} / ${c.errors}`],
    ]),
    "consul",
  );
}

export function announcerPage(s: AnnouncerStatus, now: number): string {
  const up = s.apps.filter((a) => a.state === "UP").length;
  const announced = s.vips.filter((v) => v.announced).length;
  const e = s.exabgp;
  const ackTrouble = e.ack_errors + e.ack_timeouts;
  const c = s.consul;
  return statusPage({
    program: "exacast-announcer",
    host: s.host,
    meta: [`v${s.version}`, `pid ${s.pid}`, `up ${humanDuration(now - Date.parse(s.started))}`, s.stopping ? pill("stopping", "bad") : "", s.draining ? pill("draining", "warn") : ""],
    refreshSeconds: REFRESH_SECONDS,
    now,
    facts: [
      { label: "Apps up", value: `${up} / ${s.apps.length}`, tone: s.apps.length === 0 ? "idle" : up === s.apps.length ? "ok" : "bad" },
      { label: "VIPs announced", value: `${announced} / ${s.vips.length}`, tone: s.vips.length === 0 ? "idle" : announced === s.vips.length ? "ok" : "warn" },
      { label: "Drain", value: s.draining ? "draining" : "off", tone: s.draining ? "warn" : "idle" },
      { label: "ExaBGP ack errors", value: ackTrouble, tone: ackTrouble > 0 ? "bad" : "ok" },
      { label: "Consul", value: c === null ? "off" : c.reachable === null ? "waiting" : c.reachable ? "reachable" : "unreachable", tone: c === null ? "idle" : c.reachable === false ? "bad" : c.reachable ? "ok" : "idle" },
      ...(s.http ? [{ label: "Apps over HTTP", value: s.http.apps, tone: "info" as const }] : []),
    ],
    sections: [apps(s, now), vips(s), html`<div class="cols">${exabgp(s)}${consul(s, now)}</div>`],
  });
}
