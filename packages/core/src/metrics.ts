// Prometheus metrics, text exposition format 0.0.4, with no dependency: both
// programs keep a few counters, gauges and histograms and serve /metrics.

export type Labels = Readonly<Record<string, string | number>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelKey(names: readonly string[], labels: Labels = {}): string {
  for (const k of Object.keys(labels)) if (!names.includes(k)) throw new Error(`unknown label ${k}`);
  return names.map((n) => `${n}="${escapeLabel(String(labels[n] ?? ""))}"`).join(",");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const l of labelNames) if (!LABEL.test(l) || l === "le") throw new Error(`invalid label name ${l}`);
  }
  abstract readonly type: "counter" | "gauge" | "histogram";
  abstract samples(): string[];
  render(): string {
    const help = this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
    return [`# HELP ${this.name} ${help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join("\n");
  }
}

function sample(name: string, key: string, value: number): string {
  return `${name}${key ? `{${key}}` : ""} ${formatValue(value)}`;
}

export class Counter extends Metric {
  readonly type = "counter";
  private readonly values = new Map<string, number>();
  inc(labels?: Labels, n = 1): void {
    if (n < 0) throw new Error("a counter only goes up");
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  /** Forget one series, e.g. of an app that was removed. */
  remove(labels: Labels): void {
    this.values.delete(labelKey(this.labelNames, labels));
  }
  /** inc() for one series with its labels resolved once, for hot paths. */
  bind(labels?: Labels): (n?: number) => void {
    const k = labelKey(this.labelNames, labels);
    return (n = 1) => {
      if (n < 0) throw new Error("a counter only goes up");
      this.values.set(k, (this.values.get(k) ?? 0) + n);
    };
  }
  samples(): string[] {
    if (this.values.size === 0 && this.labelNames.length === 0) return [sample(this.name, "", 0)];
    return [...this.values].map(([k, v]) => sample(this.name, k, v));
  }
}

export class Gauge extends Metric {
  readonly type = "gauge";
  private readonly values = new Map<string, number>();
  set(labels: Labels | undefined, v: number): void {
    this.values.set(labelKey(this.labelNames, labels), v);
  }
  inc(labels?: Labels, n = 1): void {
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  /** Forget every labelled series (before setting the current ones again). */
  reset(): void {
    this.values.clear();
  }
  /** Forget one series, e.g. an app that was removed. */
  remove(labels: Labels): void {
    this.values.delete(labelKey(this.labelNames, labels));
  }
  samples(): string[] {
    if (this.values.size === 0 && this.labelNames.length === 0) return [sample(this.name, "", 0)];
    return [...this.values].map(([k, v]) => sample(this.name, k, v));
  }
}

export class Histogram extends Metric {
  readonly type = "histogram";
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, readonly buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new Error("buckets must increase");
  }
  observe(labels: Labels | undefined, v: number): void {
    this.observeKey(labelKey(this.labelNames, labels), v);
  }
  /** observe() for one series with its labels resolved once, for hot paths. */
  bind(labels?: Labels): (v: number) => void {
    const k = labelKey(this.labelNames, labels);
    return (v) => this.observeKey(k, v);
  }
  private observeKey(k: string, v: number): void {
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  remove(labels: Labels): void {
    this.series.delete(labelKey(this.labelNames, labels));
  }
  count(labels?: Labels): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }
  samples(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      const sep = k ? "," : "";
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${k}${sep}le="${formatValue(b)}"} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      out.push(sample(`${this.name}_sum`, k, s.sum), sample(`${this.name}_count`, k, s.count));
    }
    return out;
  }
}

/** Seconds buckets for check latency and render duration (1 ms … 10 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  private collectors: (() => void)[] = [];

  private add<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.push(m);
    return m;
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, buckets: readonly number[] = LATENCY_BUCKETS, labelNames: readonly string[] = []): Histogram {
    return this.add(new Histogram(name, help, buckets, labelNames));
  }
  /** Run before each render: the place to set gauges derived from current state. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }
  /** The text exposition format (Content-Type: text/plain; version=0.0.4). */
  render(): string {
    for (const c of this.collectors) c();
    return this.metrics.map((m) => m.render()).join("\n") + "\n";
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
