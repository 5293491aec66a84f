// `<program> status`: ask a running exacast program for its GET /status and
// print it for a person (a table, as `birdc show protocols`) or a script
// (--json). Shared by both programs; each brings how to find the address in
// its config and how to lay out its answer. Exit 0 with an answer, 1 when
// the program cannot be reached (or answers something else), 2 for a bad
// command line or config.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseDuration } from "./duration.js";
import type { Result } from "./result.js";
import { err, ok } from "./result.js";
import type { HostPort } from "./schemas.js";

/** What `status` accepts: the --help test holds the usage text to this. */
export const STATUS_OPTIONS = {
  config: { type: "string" },
  url: { type: "string" },
  json: { type: "boolean" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export const STATUS_TIMEOUT_MS = 5000;

export type StatusRequest =
  | { readonly kind: "help" }
  | { readonly kind: "status"; readonly config: string | undefined; readonly url: string | undefined; readonly json: boolean; readonly timeoutMs: number };

/** The status subcommand's arguments (after the word `status`). Pure. */
export function parseStatusArgs(argv: readonly string[], defaultConfig: string): Result<StatusRequest, string[]> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: STATUS_OPTIONS, allowPositionals: false, strict: true });
  } catch (e) {
    return err([`status: ${(e as Error).message}`, "try status --help"]);
  }
  const v = parsed.values;
  if (v.help) return ok({ kind: "help" });
  const problems: string[] = [];
  if (v.config !== undefined && v.url !== undefined) problems.push("status: give --config FILE or --url URL, not both");
  let timeoutMs = STATUS_TIMEOUT_MS;
  if (v.timeout !== undefined) {
    const d = parseDuration(v.timeout);
    if (!d.ok || d.value <= 0) problems.push(`--timeout: ${d.ok ? "expected more than 0s" : d.error}`);
    else timeoutMs = d.value;
  }
  let url: string | undefined;
  if (v.url !== undefined) {
    const u = statusUrlOf(v.url);
    if (u.ok) url = u.value;
    else problems.push(`--url: ${u.error}`);
  }
  if (problems.length > 0) return err(problems);
  return ok({ kind: "status", config: url === undefined ? (v.config ?? defaultConfig) : undefined, url, json: v.json ?? false, timeoutMs });
}

/** `http://host:port[/prefix][/status]` → the URL of /status under it. Pure. */
export function statusUrlOf(text: string): Result<string> {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return err(`expected a URL like http://127.0.0.1:9179, got ${JSON.stringify(text)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return err(`expected an http:// or https:// URL, got ${JSON.stringify(text)}`);
  u.pathname = u.pathname.replace(/\/?(status)?\/?$/, "/status");
  u.search = "";
  u.hash = "";
  return ok(u.toString());
}

/** Where a program listening on `listen` answers: a wildcard address is reached on loopback. Pure. */
export function statusUrlFor(listen: HostPort): string {
  const host = listen.host === "0.0.0.0" ? "127.0.0.1" : listen.host === "::" ? "::1" : listen.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${listen.port}/status`;
}

/** Where to ask and with which token (null: none). */
export interface StatusTarget {
  readonly url: string;
  readonly token: string | null;
}

export interface StatusProgram {
  readonly program: string;
  readonly usage: string;
  readonly defaultConfig: string;
  /** The config file's text → where its program answers; problems name the file and key. */
  target(configText: string, file: string): Result<StatusTarget, string[]>;
  /** The answer → the table; problems say what is not as this program answers. */
  format(status: unknown, now: number): Result<string, string[]>;
}

/** GET the status; errors say why in a sentence (refused, timed out, HTTP status). */
export async function fetchStatus(t: StatusTarget, timeoutMs: number): Promise<Result<unknown>> {
  let res: Response;
  try {
    res = await fetch(t.url, {
      headers: { Accept: "application/json", ...(t.token ? { Authorization: `Bearer ${t.token}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (e) {
    const error = e as Error & { cause?: { code?: string; message?: string } };
    if (error.name === "TimeoutError") return err(`cannot reach ${t.url}: no answer within ${timeoutMs} ms`);
    return err(`cannot reach ${t.url}: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    return err(`${t.url}: the answer broke off (${(e as Error).message})`);
  }
  if (res.status === 401) return err(`${t.url}: 401 unauthorized: ${t.token ? "the token was refused" : "a token is needed (http.token in the config, or EXACAST_TOKEN with --url)"}`);
  if (res.status !== 200) return err(`${t.url}: HTTP ${res.status} ${text.trim().slice(0, 200)}`);
  try {
    return ok(JSON.parse(text));
  } catch {
    return err(`${t.url}: the answer is not JSON (is this an exacast program's address?)`);
  }
}

/** The whole subcommand: parse, find, fetch, print. Returns the exit code. */
export async function runStatus(p: StatusProgram, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const fail = (code: number, lines: readonly string[]) => {
    for (const l of lines) process.stderr.write(`${p.program}: ${l}\n`);
    return code;
  };
  const req = parseStatusArgs(argv, p.defaultConfig);
  if (!req.ok) return fail(2, req.error);
  if (req.value.kind === "help") {
    process.stdout.write(p.usage);
    return 0;
  }
  const r = req.value;
  let target: StatusTarget;
  if (r.url !== undefined) {
    target = { url: r.url, token: env.EXACAST_TOKEN || null };
  } else {
    let text: string;
    try {
      text = readFileSync(r.config!, "utf8");
    } catch (e) {
      return fail(2, [`cannot read ${r.config}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (give --config FILE or --url URL)`]);
    }
    const t = p.target(text, r.config!);
    if (!t.ok) return fail(2, t.error);
    target = t.value;
  }
  const answer = await fetchStatus(target, r.timeoutMs);
  if (!answer.ok) return fail(1, [answer.error]);
  if (r.json) {
    process.stdout.write(JSON.stringify(answer.value, null, 2) + "\n");
    return 0;
  }
  const table = p.format(answer.value, Date.now());
  if (!table.ok) return fail(1, [`${target.url} does not answer as ${p.program} does:`, ...table.error]);
  process.stdout.write(table.value);
  return 0;
}
