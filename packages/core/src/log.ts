// One line per event on stderr (stdout is ExaBGP's API). `text` for people,
// `json` for log shippers. Values are quoted so a newline or a `key=` in a
// peer's or a user's string cannot forge another line or field.

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export const LOG_FORMATS = ["text", "json"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  program: string;
  level?: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
  /** JSON format: each record as an object, to a serializer of the caller's (the runtime's ndjson stream); default: JSON text to `write`. */
  emit?: (record: LogFields) => void;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const BARE = /^[A-Za-z0-9_.:/@%+,[\]-]+$/;

function textValue(v: unknown): string {
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return BARE.test(s) ? s : JSON.stringify(s);
}

function safeKey(k: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(k) ? k : JSON.stringify(k);
}

export function createLogger(opts: LoggerOptions, bound: LogFields = {}): Logger {
  const level = opts.level ?? "info";
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  const emit = (lvl: LogLevel, event: string, fields: LogFields = {}) => {
    if (RANK[lvl] < RANK[level]) return;
    const all = { ...bound, ...fields };
    if (opts.format === "json") {
      const rec: LogFields = { time: now().toISOString(), level: lvl, program: opts.program, event };
      for (const [k, v] of Object.entries(all)) rec[k] = v instanceof Error ? v.message : v;
      if (opts.emit) opts.emit(rec);
      else write(JSON.stringify(rec) + "\n");
      return;
    }
    let line = `${now().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${textValue(event)}`;
    for (const [k, v] of Object.entries(all)) if (v !== undefined) line += ` ${safeKey(k)}=${textValue(v)}`;
    write(line + "\n");
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    enabled: (lvl) => RANK[lvl] >= RANK[level],
    child: (fields) => createLogger(opts, { ...bound, ...fields }),
  };
}
