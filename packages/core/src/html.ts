// HTML for the status pages, safe by construction: every value interpolated
// into the `html` tag is escaped unless it is itself Html (built by this tag).
// A Consul tag, a check's output or an error text therefore shows as text,
// whatever it holds. Pure.

const HTML = Symbol("html");

/** Markup built by `html` (or `raw`): inserted as it is, never escaped again. */
export interface Html {
  readonly [HTML]: string;
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text → HTML text, safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Markup the caller vouches for (fixed strings of the page's own layout only). */
export function raw(markup: string): Html {
  return { [HTML]: markup };
}

export function isHtml(v: unknown): v is Html {
  return typeof v === "object" && v !== null && HTML in v;
}

/** The markup as a string. */
export function htmlText(h: Html): string {
  return h[HTML];
}

function part(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return "";
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(part).join("");
  if (isHtml(v)) return v[HTML];
  return escapeHtml(String(v));
}

/** Tagged template: `html\`<td>${name}</td>\`` escapes `name`; Html values and arrays of them go in as they are. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]!) + strings[i + 1]!;
  return raw(out);
}
