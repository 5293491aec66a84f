// Go's time.ParseDuration, which Consul uses for `wait` and for check
// intervals and TTLs ("10s", "1m30s", "250ms", "1.5h", a bare "0").

const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /^(\d*)(?:\.(\d*))?([a-z\u00b5\u03bc]+)/;

/** Milliseconds, or undefined when Go would reject the text. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  while (rest !== "") {
    const m = TERM.exec(rest);
    if (!m) return undefined;
    const [whole, int = "", frac, unit = ""] = m;
    if (int === "" && (frac === undefined || frac === "")) return undefined;
    const scale = UNITS[unit];
    if (scale === undefined) return undefined;
    total += Number(`${int || "0"}.${frac ?? ""}0`) * scale;
    rest = rest.slice(whole.length);
  }
  return sign * total;
}

/** Consul's defaults for blocking queries: 5 min when unset, at most 10 min. */
export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;

/**
 * The time a blocking query may hang: `wait` clamped as Consul does, plus up
 * to wait/16 of random jitter (the documented spread for concurrent waiters).
 */
export function blockingWaitMs(waitMs: number | undefined, random: () => number = Math.random): number {
  let wait = waitMs ?? 0;
  if (wait <= 0) wait = DEFAULT_WAIT_MS;
  if (wait > MAX_WAIT_MS) wait = MAX_WAIT_MS;
  return wait + Math.floor(random() * (wait / 16));
}

/** Go's strconv.ParseBool, used for `?passing=` and similar flags. */
export function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}
