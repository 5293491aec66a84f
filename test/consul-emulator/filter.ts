// A subset of Consul's `?filter=` language (go-bexpr), enough for the
// selectors a discovery client uses: clauses joined by `and`, each one of
//   Sel == "v"   Sel != "v"   "v" in Sel   "v" not in Sel
//   Sel contains "v"   Sel not contains "v"   Sel is empty   Sel is not empty
// Anything else (or, not, parentheses, matches) is refused with a 400 that
// names the emulator, so a test never mistakes the limit for Consul's answer.

import { HttpError } from "./decode.js";

type Pred = (item: unknown) => boolean;

const TOKEN = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|==|!=|[A-Za-z0-9_.\-:]+)/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(text);
    if (!m) throw unsupported(text);
    out.push(m[1]!);
  }
  return out;
}

function unsupported(text: string): HttpError {
  return new HttpError(400, `emulator: unsupported filter expression (only "and" of ==, !=, in, not in, contains, is empty): ${text}`);
}

function literal(tok: string | undefined): string | undefined {
  if (tok === undefined) return undefined;
  if (tok.startsWith('"')) return JSON.parse(tok) as string;
  if (tok.startsWith("`")) return tok.slice(1, -1);
  return /^[A-Za-z0-9_.\-:]+$/.test(tok) && !/^[A-Z]/.test(tok) ? tok : undefined;
}

function select(item: unknown, path: string): unknown {
  let cur: unknown = item;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function contains(container: unknown, v: string): boolean {
  if (Array.isArray(container)) return container.some((x) => String(x) === v);
  if (typeof container === "string") return container.includes(v);
  if (container && typeof container === "object") return Object.hasOwn(container, v);
  return false;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

function clause(t: string[], text: string): Pred {
  const [a, b, c, d] = t;
  const lit = literal(a);
  if (lit !== undefined && a !== undefined && (a.startsWith('"') || a.startsWith("`"))) {
    // "v" in Sel | "v" not in Sel
    if (t.length === 3 && b === "in") return (x) => contains(select(x, c!), lit);
    if (t.length === 4 && b === "not" && c === "in") return (x) => !contains(select(x, d!), lit);
    throw unsupported(text);
  }
  const sel = a!;
  if (t.length === 3 && (b === "==" || b === "!=")) {
    const v = literal(c);
    if (v === undefined) throw unsupported(text);
    return b === "==" ? (x) => String(select(x, sel)) === v : (x) => String(select(x, sel)) !== v;
  }
  if (t.length === 3 && b === "contains" && literal(c) !== undefined) return (x) => contains(select(x, sel), literal(c)!);
  if (t.length === 4 && b === "not" && c === "contains" && literal(d) !== undefined) {
    return (x) => !contains(select(x, sel), literal(d)!);
  }
  if (t.length === 3 && b === "is" && c === "empty") return (x) => isEmpty(select(x, sel));
  if (t.length === 4 && b === "is" && c === "not" && d === "empty") return (x) => !isEmpty(select(x, sel));
  throw unsupported(text);
}

/** A predicate for one `?filter=` expression; "" keeps everything. */
export function compileFilter(text: string): Pred {
  if (text.trim() === "") return () => true;
  const tokens = tokenize(text);
  const clauses: string[][] = [[]];
  for (const tok of tokens) {
    if (tok === "and") clauses.push([]);
    else if (tok === "or" || tok === "matches") throw unsupported(text);
    else clauses[clauses.length - 1]!.push(tok);
  }
  const preds = clauses.map((c) => clause(c, text));
  return (item) => preds.every((p) => p(item));
}
