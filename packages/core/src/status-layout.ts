// The status pages' shared layout: one self-contained HTML document (inline
// CSS, no script, no external asset) that reloads itself, with a header, a
// row of headline facts and sections of tables. Both programs' pages are
// built from these pieces. Pure: the time is an argument.

import type { Html, HtmlValue } from "./html.js";
import { html, htmlText, raw } from "./html.js";

/** What a state means to an operator: its colour. */
export type Tone = "ok" | "bad" | "warn" | "idle" | "info";

export interface Fact {
  readonly label: string;
  readonly value: HtmlValue;
  readonly tone?: Tone;
}

export interface Column {
  readonly label: string;
  /** Right-aligned, tabular figures. */
  readonly num?: boolean;
}

export interface Row {
  readonly cells: readonly HtmlValue[];
  /** Marks the row's left edge with this colour. */
  readonly tone?: Tone;
  /** A heading row spanning the table (e.g. one per port). */
  readonly group?: boolean;
}

export interface PageSpec {
  /** The program: exacast-announcer, exacast-listener. */
  readonly program: string;
  /** The host it runs on: first in the title, to tell many tabs apart. */
  readonly host?: string;
  /** version, pid, uptime… shown beside the name. */
  readonly meta: readonly HtmlValue[];
  readonly refreshSeconds: number;
  readonly facts: readonly Fact[];
  readonly sections: readonly Html[];
  /** When the page was made (epoch ms): shown in the footer. */
  readonly now: number;
}

export function pill(text: string, tone: Tone): Html {
  return html`<span class="pill ${tone}">${text}</span>`;
}

/** 850ms, 12s, 3m 4s, 2h 5m, 3d 4h. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const t = Math.max(0, ms);
  if (t < 1000) return `${Math.round(t)}ms`;
  const s = Math.floor(t / 1000);
  if (s < 60) return `${s}s`;
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

/** "3m 4s ago", with the exact time as a tooltip; "—" when never. */
export function ago(iso: string | null | undefined, now: number): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return html`${iso}`;
  return html`<time datetime="${iso}" title="${iso}">${humanDuration(now - t)} ago</time>`;
}

export function section(title: string, note: HtmlValue, body: Html, id?: string): Html {
  return html`<section${id ? html` id="${id}"` : ""}><h2>${title}${note === "" || note === null ? "" : html` <small>${note}</small>`}</h2>${body}</section>`;
}

export function table(columns: readonly Column[], rows: readonly Row[], empty: string): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  const head = columns.map((c) => html`<th${c.num ? raw(' class="num"') : ""}>${c.label}</th>`);
  const body = rows.map((r) => {
    if (r.group) return html`<tr class="group"><td colspan="${columns.length}">${r.cells}</td></tr>`;
    const cells = r.cells.map((c, i) => html`<td${columns[i]?.num ? raw(' class="num"') : ""}>${c}</td>`);
    return html`<tr${r.tone ? html` class="${r.tone}"` : ""}>${cells}</tr>`;
  });
  return html`<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** label → value pairs, for a section of a few figures. */
export function pairs(items: readonly (readonly [string, HtmlValue])[]): Html {
  return html`<dl class="pairs">${items.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

const CSS = `
:root{--bg:#f4f6f9;--card:#fff;--ink:#18202c;--muted:#687385;--line:#e2e6ed;--head:#141b26;--group:#f0f3f8;
--ok:#137a48;--ok-bg:#dff5e8;--bad:#b42318;--bad-bg:#fde6e3;--warn:#935c00;--warn-bg:#fff0d1;--idle:#556070;--idle-bg:#eaedf2;--info:#1f4fd1;--info-bg:#e3ebff}
@media (prefers-color-scheme:dark){:root{--bg:#0f141b;--card:#171e28;--ink:#e4e9f0;--muted:#8d98a8;--line:#263041;--head:#0a0e14;--group:#1d2633;
--ok:#5fd39a;--ok-bg:#123a28;--bad:#ff8a7d;--bad-bg:#4a1712;--warn:#f3bd55;--warn-bg:#3d2c09;--idle:#a3adbb;--idle-bg:#262f3c;--info:#8fb0ff;--info-bg:#1a2850}}
*{box-sizing:border-box}
body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;background:var(--bg);color:var(--ink)}
header{background:var(--head);color:#f2f5f9;padding:10px 20px;display:flex;align-items:baseline;gap:14px;flex-wrap:wrap}
header h1{font-size:16px;margin:0;font-weight:650;letter-spacing:.01em}
header h1 span{color:#7dd3a8}header h1 small{color:#c7d2e3;font-weight:500;font-size:14px}
header .meta{color:#9aa6b8;font-size:12px;display:flex;gap:12px;flex-wrap:wrap}
header nav{margin-left:auto;font-size:12px;display:flex;gap:12px}
header nav a{color:#c7d2e3;text-decoration:none;border-bottom:1px dotted #5d6b80}
.facts{display:flex;gap:10px;flex-wrap:wrap;padding:14px 20px 0}
.fact{background:var(--card);border:1px solid var(--line);border-top:3px solid var(--idle);border-radius:7px;padding:7px 14px 8px;min-width:110px}
.fact b{display:block;font-size:19px;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap}
.fact span{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}
.fact.ok{border-top-color:var(--ok)}.fact.bad{border-top-color:var(--bad)}.fact.warn{border-top-color:var(--warn)}.fact.info{border-top-color:var(--info)}
.fact.bad b{color:var(--bad)}.fact.warn b{color:var(--warn)}
main{padding:4px 20px 20px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;margin-top:14px;overflow:hidden}
h2{font-size:13px;margin:0;padding:9px 14px;border-bottom:1px solid var(--line);font-weight:650}
h2 small{color:var(--muted);font-weight:400;margin-left:6px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-weight:600;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em;padding:7px 12px;white-space:nowrap;border-bottom:1px solid var(--line)}
td{padding:6px 12px;border-top:1px solid var(--line);vertical-align:top}
tbody tr:first-child td{border-top:0}
tr:not(.group):hover td{background:var(--group)}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.group td{background:var(--group);font-weight:600;padding:6px 12px}
tr.ok td:first-child{box-shadow:inset 3px 0 var(--ok)}tr.bad td:first-child{box-shadow:inset 3px 0 var(--bad)}
tr.warn td:first-child{box-shadow:inset 3px 0 var(--warn)}tr.idle td:first-child{box-shadow:inset 3px 0 var(--idle)}tr.info td:first-child{box-shadow:inset 3px 0 var(--info)}
tr.bad td{background:color-mix(in srgb,var(--bad-bg) 45%,transparent)}
.mono,code{font-family:ui-monospace,"SF Mono",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:11px;font-weight:650;white-space:nowrap;letter-spacing:.02em}
.pill.ok{background:var(--ok-bg);color:var(--ok)}.pill.bad{background:var(--bad-bg);color:var(--bad)}
.pill.warn{background:var(--warn-bg);color:var(--warn)}.pill.idle{background:var(--idle-bg);color:var(--idle)}.pill.info{background:var(--info-bg);color:var(--info)}
.muted{color:var(--muted)}.err{color:var(--bad)}.nowrap{white-space:nowrap}
.empty{padding:10px 14px;margin:0;color:var(--muted)}
.checks{list-style:none;margin:0;padding:0}.checks li+li{margin-top:4px}time{white-space:nowrap}
.pairs{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:2px 0;margin:0;padding:6px 0}
.pairs div{padding:6px 14px}
.pairs dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}.pairs dd{margin:0;font-weight:600}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:0 14px;align-items:start}
footer{color:var(--muted);font-size:11px;padding:0 20px 18px}
`;

/** The whole document. */
export function statusPage(p: PageSpec): string {
  const when = new Date(p.now).toISOString();
  const facts = p.facts.map((f) => html`<div class="fact${f.tone ? ` ${f.tone}` : ""}"><b>${f.value}</b><span>${f.label}</span></div>`);
  const doc = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="${p.refreshSeconds}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${p.host ? `${p.host} · ` : ""}${p.program}</title>
<style>${raw(CSS)}</style></head>
<body><header><h1>exacast <span>${p.program.replace(/^exacast-/, "")}</span>${p.host ? html` <small>on ${p.host}</small>` : ""}</h1><div class="meta">${p.meta.map((m) => html`<span>${m}</span>`)}</div>
<nav><a href="status">/status (JSON)</a><a href="metrics">/metrics</a></nav></header>
<div class="facts">${facts}</div>
<main>${p.sections}</main>
<footer>Made at <time datetime="${when}">${when}</time>; reloads every ${p.refreshSeconds}s.</footer>
</body></html>
`;
  return htmlText(doc);
}
