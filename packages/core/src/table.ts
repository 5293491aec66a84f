// Plain-text tables for terminals, as `birdc show protocols` prints them:
// a header row, columns padded with two blanks, no trailing blanks. Pure.
// Cells come from a running program's answers (app names, check reasons,
// error messages): control characters are shown escaped, never sent to the
// terminal, and long cells are cut.

/** One cell: control characters escaped (\n, \x1b…), at most `max` characters. */
export function cellText(value: unknown, max = 80): string {
  const text = value === null || value === undefined ? "-" : String(value);
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    if (c === "\r") return "\\r";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
  return safe.length > max ? `${safe.slice(0, Math.max(1, max - 1))}…` : safe;
}

/** Columns padded to their widest cell; rows of fewer cells end early. Every cell goes through cellText. */
export function formatTable(header: readonly string[], rows: readonly (readonly unknown[])[], max = 120): string {
  const all = [header, ...rows].map((r) => r.map((c) => cellText(c, max)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

/** How long ago, coarsely: 850ms, 42s, 5m12s, 3h04m, 2d07h. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** The age of an ISO time at `now` (ms since the epoch); "-" when it is not a time. */
export function ageOf(iso: string | null | undefined, now: number): string {
  if (!iso) return "-";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "-" : formatAge(now - t);
}

/** At most `max` items joined by blanks, then how many more. */
export function listCell(items: readonly unknown[], max = 4): string {
  if (items.length === 0) return "-";
  const shown = items.slice(0, max).map((i) => cellText(i, 45)).join(" ");
  return items.length > max ? `${shown} …+${items.length - max}` : shown;
}
