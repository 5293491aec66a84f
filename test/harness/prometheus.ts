// A strict parser of the Prometheus text exposition format 0.0.4, for tests
// that scrape /metrics: it returns the families and throws an Error naming
// the line and the problem on anything Prometheus would reject or that is a
// likely mistake (a sample without TYPE, a broken histogram, a duplicate
// series, families interleaved, a value JavaScript spells "Infinity").

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
  line: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: Sample[];
}

export interface ParseOptions {
  /** Every sample's family must have a TYPE line (default true): catches misspelt names. */
  requireType?: boolean;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES: readonly MetricType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

class LineError extends Error {}

function fail(problem: string): never {
  throw new LineError(problem);
}

/** Go's ParseFloat as Prometheus spells special values: NaN, +Inf, -Inf (Inf). */
export function parseValue(text: string): number {
  if (text === "NaN") return NaN;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (!FLOAT.test(text)) fail(`invalid value "${text}" (numbers, NaN, +Inf or -Inf)`);
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    return fail(`invalid escape sequence "\\${c}" in HELP (only \\\\ and \\n)`);
  });
}

/** Reads `{name="value",…}` from the start of `s`; returns the labels and the rest. */
function readLabels(s: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const skipBlanks = () => {
    while (s[i] === " " || s[i] === "\t") i++;
  };
  for (;;) {
    skipBlanks();
    if (s[i] === "}") return { labels, rest: s.slice(i + 1) };
    const name = LABEL_NAME.exec(s.slice(i))?.[0];
    if (!name) fail(`invalid label name at "${s.slice(i, i + 20)}"`);
    if (name.startsWith("__")) fail(`label name "${name}" is reserved (starts with __)`);
    if (Object.hasOwn(labels, name)) fail(`duplicate label "${name}"`);
    i += name.length;
    skipBlanks();
    if (s[i] !== "=") fail(`expected "=" after label name "${name}"`);
    i++;
    skipBlanks();
    if (s[i] !== '"') fail(`label value of "${name}" must be a double-quoted string`);
    i++;
    let value = "";
    for (;;) {
      const ch = s[i];
      if (ch === undefined) fail(`unterminated label value of "${name}"`);
      if (ch === '"') break;
      if (ch === "\\") {
        const next = s[i + 1];
        if (next === "\\" || next === '"') value += next;
        else if (next === "n") value += "\n";
        else fail(`invalid escape sequence "\\${next ?? ""}" in label value of "${name}" (only \\\\, \\" and \\n)`);
        i += 2;
      } else {
        value += ch;
        i++;
      }
    }
    labels[name] = value;
    i++;
    skipBlanks();
    if (s[i] === ",") i++;
    else if (s[i] !== "}") fail(`expected "," or "}" after label "${name}"`);
  }
}

function parseSampleLine(line: string, lineNo: number): Sample {
  const s = line.replace(/^[ \t]+/, "");
  const name = METRIC_NAME.exec(s)?.[0];
  if (!name) fail(`invalid metric name at "${s.slice(0, 30)}"`);
  let rest = s.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith("{")) ({ labels, rest } = readLabels(rest));
  if (!/^[ \t]/.test(rest)) fail(`expected a blank between the metric and its value in "${name}${rest.slice(0, 20)}"`);
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length > 2) fail(`unexpected text after the value: "${fields.slice(2).join(" ")}"`);
  const value = parseValue(fields[0]!);
  const sample: Sample = { name, labels, value, line: lineNo };
  if (fields[1] !== undefined) {
    if (!/^-?\d+$/.test(fields[1])) fail(`invalid timestamp "${fields[1]}" (integer milliseconds)`);
    sample.timestamp = Number(fields[1]);
  }
  return sample;
}

function seriesKey(labels: Record<string, string>, drop?: string): string {
  return JSON.stringify(Object.entries(labels).filter(([k]) => k !== drop).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The family a sample belongs to: its own name, or a histogram/summary base. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(name);
  if (exact && exact.type !== "histogram") return exact;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m) {
    const base = families.get(m[1]!);
    if (base?.type === "histogram") return base;
    if (base?.type === "summary" && m[2] !== "bucket") return base;
  }
  return exact;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: Sample[]; sum?: Sample; count?: Sample }>();
  const entry = (labels: Record<string, string>, drop?: string) => {
    const key = seriesKey(labels, drop);
    let e = series.get(key);
    if (!e) series.set(key, (e = { buckets: [] }));
    return e;
  };
  const at = (s: Sample, problem: string) => new LineError(`line ${s.line}: histogram ${f.name}: ${problem}`);
  for (const s of f.samples) {
    if (s.name === f.name) throw at(s, `sample named ${s.name} (expected _bucket, _sum or _count)`);
    if (s.name === `${f.name}_bucket`) {
      if (s.labels.le === undefined) throw at(s, "bucket without an le label");
      entry(s.labels, "le").buckets.push(s);
    } else {
      if (s.labels.le !== undefined) throw at(s, `${s.name} must not carry an le label`);
      const e = entry(s.labels);
      const which = s.name.endsWith("_sum") ? "sum" : "count";
      e[which] = s;
    }
  }
  for (const e of series.values()) {
    const any = e.buckets[0] ?? e.sum ?? e.count!;
    if (e.buckets.length === 0) throw at(any, "series has no buckets");
    let prevLe = -Infinity;
    let prevCount = 0;
    for (const b of e.buckets) {
      let le: number;
      try {
        le = parseValue(b.labels.le!);
      } catch (err) {
        throw at(b, `le: ${(err as Error).message}`);
      }
      if (Number.isNaN(le)) throw at(b, 'le="NaN" is not a bucket bound');
      if (le <= prevLe) throw at(b, `le="${b.labels.le}" does not increase (buckets must be in increasing le order)`);
      if (!(b.value >= 0) || !Number.isInteger(b.value)) throw at(b, `bucket count ${b.value} is not a non-negative integer`);
      if (b.value < prevCount) throw at(b, `bucket count ${b.value} is less than the previous bucket's ${prevCount} (buckets are cumulative)`);
      prevLe = le;
      prevCount = b.value;
    }
    const last = e.buckets[e.buckets.length - 1]!;
    if (prevLe !== Infinity) throw at(last, 'no le="+Inf" bucket');
    if (!e.count) throw at(last, "no _count sample");
    if (!e.sum) throw at(last, "no _sum sample");
    if (e.count.value !== last.value) throw at(e.count, `_count ${e.count.value} differs from the +Inf bucket ${last.value}`);
  }
}

function checkFamily(f: Family): void {
  if (f.type === "histogram") return checkHistogram(f);
  for (const s of f.samples) {
    const where = `line ${s.line}: ${f.type} ${f.name}`;
    if (f.type === "counter" && !(s.value >= 0)) throw new LineError(`${where}: counter value ${s.value} must be non-negative`);
    if (f.type === "summary" && s.name === f.name && s.labels.quantile === undefined) throw new LineError(`${where}: summary sample without a quantile label`);
    if (f.type === "summary" && s.name.endsWith("_count") && !(s.value >= 0)) throw new LineError(`${where}: _count ${s.value} must be non-negative`);
  }
}

/** Parses and validates one scrape; throws `line N: problem` on the first error. */
export function parsePrometheusText(text: string, opts: ParseOptions = {}): { families: Map<string, Family> } {
  const requireType = opts.requireType ?? true;
  const families = new Map<string, Family>();
  const seriesSeen = new Map<string, number>();
  const closed = new Set<string>();
  let current: string | undefined;
  const lines = text.split("\n");
  if (text !== "" && lines[lines.length - 1] !== "") throw new Error(`line ${lines.length}: the last line must end with a line feed`);
  const enter = (name: string) => {
    if (name === current) return;
    if (closed.has(name)) fail(`lines of ${name} are not grouped together (it appeared before another family)`);
    if (current !== undefined) closed.add(current);
    current = name;
  };
  const declare = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: "untyped", help: undefined, samples: [] }));
    return f;
  };
  const typed = new Set<string>();

  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    try {
      if (raw.includes("\r")) fail("carriage return (lines end with \\n only)");
      const line = raw.replace(/^[ \t]+/, "");
      if (line === "") return;
      if (line.startsWith("#")) {
        const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
        if (!m) return; // a plain comment
        const [, kw, name = "", arg = ""] = m;
        if (!METRIC_NAME.test(name) || METRIC_NAME.exec(name)![0] !== name) fail(`invalid metric name "${name}" in ${kw}`);
        enter(name);
        const f = declare(name);
        if (kw === "HELP") {
          if (f.help !== undefined) fail(`second HELP line for ${name}`);
          f.help = unescapeHelp(arg);
        } else {
          if (typed.has(name)) fail(`second TYPE line for ${name}`);
          if (f.samples.length > 0) fail(`TYPE line for ${name} after its samples`);
          if (!TYPES.includes(arg.trim() as MetricType)) fail(`unknown type "${arg.trim()}" for ${name} (${TYPES.join(", ")})`);
          f.type = arg.trim() as MetricType;
          typed.add(name);
        }
        return;
      }
      const sample = parseSampleLine(line, lineNo);
      let f = familyOf(sample.name, families);
      if (!f || !typed.has(f.name)) {
        if (requireType) fail(`sample ${sample.name} has no TYPE line before it (a misspelt name, or a missing # TYPE)`);
        f ??= declare(sample.name);
      }
      enter(f.name);
      const key = `${sample.name}${seriesKey(sample.labels)}`;
      const dup = seriesSeen.get(key);
      if (dup !== undefined) fail(`duplicate series ${sample.name}${JSON.stringify(sample.labels)} (first on line ${dup})`);
      seriesSeen.set(key, lineNo);
      f.samples.push(sample);
    } catch (e) {
      if (e instanceof LineError) throw new Error(`line ${lineNo}: ${e.message}: ${raw}`);
      throw e;
    }
  });
  for (const f of families.values()) {
    try {
      checkFamily(f);
    } catch (e) {
      throw new Error((e as Error).message);
    }
  }
  return { families };
}
