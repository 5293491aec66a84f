// Tests of test/harness/prometheus.ts (kept here: the unit project collects
// test/consul-emulator/**, not test/harness/**).

import { MetricsRegistry } from "@exacast/core";
import { describe, expect, it } from "vitest";
import { parsePrometheusText } from "../harness/prometheus.js";

const text = (...lines: string[]) => `${lines.join("\n")}\n`;

describe("parsePrometheusText: good texts", () => {
  it("reads what MetricsRegistry.render() writes: counters, gauges, histograms, escaped labels", () => {
    const m = new MetricsRegistry();
    const cmds = m.counter("exacast_commands_total", "Commands written\\sent\non stdout", ["verb"]);
    const up = m.gauge("exacast_app_up", "1 while UP", ["app"]);
    const lat = m.histogram("exacast_check_seconds", "Check latency", [0.001, 0.01, 0.1], ["app"]);
    m.counter("exacast_lines_total", "Lines read");
    m.histogram("exacast_render_seconds", "Render time"); // no observation yet: HELP and TYPE only
    cmds.inc({ verb: "announce" }, 3);
    cmds.inc({ verb: "withdraw" });
    up.set({ app: 'we"b\\1\nx' }, 1);
    up.set({ app: "db" }, 0);
    up.set({ app: "nan" }, NaN);
    up.set({ app: "inf" }, -Infinity);
    for (const v of [0.0005, 0.005, 0.05, 2]) lat.observe({ app: 'we"b' }, v);
    lat.observe({ app: "db" }, 0.02);

    const { families } = parsePrometheusText(m.render());
    expect([...families.keys()]).toEqual(["exacast_commands_total", "exacast_app_up", "exacast_check_seconds", "exacast_lines_total", "exacast_render_seconds"]);
    const c = families.get("exacast_commands_total")!;
    expect([c.type, c.help]).toEqual(["counter", "Commands written\\sent\non stdout"]);
    expect(c.samples.map((s) => [s.labels.verb, s.value])).toEqual([["announce", 3], ["withdraw", 1]]);
    const g = families.get("exacast_app_up")!;
    expect(g.samples.map((s) => s.labels.app)).toEqual(['we"b\\1\nx', "db", "nan", "inf"]);
    expect(g.samples.map((s) => s.value)).toEqual([1, 0, NaN, -Infinity]);
    const h = families.get("exacast_check_seconds")!;
    expect(h.type).toBe("histogram");
    const web = h.samples.filter((s) => s.labels.app === 'we"b');
    expect(web.map((s) => [s.name, s.labels.le, s.value])).toEqual([
      ["exacast_check_seconds_bucket", "0.001", 1],
      ["exacast_check_seconds_bucket", "0.01", 2],
      ["exacast_check_seconds_bucket", "0.1", 3],
      ["exacast_check_seconds_bucket", "+Inf", 4],
      ["exacast_check_seconds_sum", undefined, 2.0555],
      ["exacast_check_seconds_count", undefined, 4],
    ]);
    expect(families.get("exacast_lines_total")!.samples[0]!.value).toBe(0);
    expect(families.get("exacast_render_seconds")!.samples).toEqual([]);
  });

  it("accepts comments, blank lines, timestamps, exponents, a trailing label comma and summaries", () => {
    const { families } = parsePrometheusText(
      text(
        "# a comment",
        "",
        "# TYPE rpc_seconds summary",
        'rpc_seconds{quantile="0.5"} 1.5e-3 1700000000000',
        'rpc_seconds{quantile="0.99",} +Inf',
        "rpc_seconds_sum 12",
        "rpc_seconds_count 7",
        "# TYPE temp gauge",
        "temp -3.25",
        "  temp{room=\"a b\"}\t.5",
      ),
    );
    expect(families.get("rpc_seconds")!.samples[0]).toMatchObject({ value: 0.0015, timestamp: 1_700_000_000_000 });
    expect(families.get("temp")!.samples.map((s) => s.value)).toEqual([-3.25, 0.5]);
  });

  it("accepts untyped samples when asked to", () => {
    const { families } = parsePrometheusText(text("up 1"), { requireType: false });
    expect(families.get("up")!.type).toBe("untyped");
  });
});

describe("parsePrometheusText: bad texts", () => {
  const cases: [string, string, RegExp][] = [
    ["no final newline", "# TYPE a gauge\na 1", /line 2: the last line must end with a line feed/],
    ["CRLF", "# TYPE a gauge\r\na 1\r\n", /line 1: carriage return/],
    ["bad metric name", text("# TYPE 1a gauge"), /line 1: invalid metric name "1a" in TYPE/],
    ["bad sample name", text("# TYPE a gauge", "a-b 1"), /line 2: expected a blank between the metric and its value/],
    ["bad label name", text("# TYPE a gauge", 'a{1x="y"} 1'), /line 2: invalid label name/],
    ["reserved label", text("# TYPE a gauge", 'a{__name__="y"} 1'), /line 2: label name "__name__" is reserved/],
    ["duplicate label", text("# TYPE a gauge", 'a{x="1",x="2"} 1'), /line 2: duplicate label "x"/],
    ["unquoted label value", text("# TYPE a gauge", "a{x=1} 1"), /line 2: label value of "x" must be a double-quoted string/],
    ["bad label escape", text("# TYPE a gauge", 'a{x="\\t"} 1'), /line 2: invalid escape sequence "\\t" in label value of "x"/],
    ["unterminated label value", text("# TYPE a gauge", 'a{x="1} 1'), /line 2: unterminated label value/],
    ["bad HELP escape", text('# HELP a say \\"hi\\"', "# TYPE a gauge", "a 1"), /line 1: invalid escape sequence "\\"" in HELP/],
    ["JavaScript's Infinity", text("# TYPE a gauge", "a Infinity"), /line 2: invalid value "Infinity"/],
    ["undefined value", text("# TYPE a gauge", "a undefined"), /line 2: invalid value "undefined"/],
    ["no value", text("# TYPE a gauge", "a"), /line 2: expected a blank/],
    ["extra text", text("# TYPE a gauge", "a 1 2 3"), /line 2: unexpected text after the value/],
    ["float timestamp", text("# TYPE a gauge", "a 1 1.5"), /line 2: invalid timestamp "1.5"/],
    ["unknown type", text("# TYPE a meter", "a 1"), /line 1: unknown type "meter"/],
    ["second TYPE", text("# TYPE a gauge", "# TYPE a gauge", "a 1"), /line 2: second TYPE line for a/],
    ["second HELP", text("# HELP a x", "# HELP a y", "# TYPE a gauge"), /line 2: second HELP line for a/],
    ["TYPE after samples", text("a 1", "# TYPE a gauge"), /line 1: sample a has no TYPE line/],
    ["misspelt histogram sample", text("# TYPE h histogram", 'h_buckets{le="+Inf"} 1'), /line 2: sample h_buckets has no TYPE line/],
    ["duplicate series", text("# TYPE a gauge", 'a{x="1",y="2"} 1', 'a{y="2",x="1"} 2'), /line 3: duplicate series a.*first on line 2/],
    ["families interleaved", text("# TYPE a gauge", "# TYPE b gauge", "a 1", "b 1"), /line 3: lines of a are not grouped together/],
    ["negative counter", text("# TYPE c counter", "c -1"), /line 2: counter c: counter value -1 must be non-negative/],
    ["NaN counter", text("# TYPE c counter", "c NaN"), /counter value NaN must be non-negative/],
    ["histogram without +Inf", text("# TYPE h histogram", 'h_bucket{le="1"} 1', "h_sum 1", "h_count 1"), /line 2: histogram h: no le="\+Inf" bucket/],
    ["histogram +Inf != count", text("# TYPE h histogram", 'h_bucket{le="+Inf"} 2', "h_sum 1", "h_count 3"), /line 4: histogram h: _count 3 differs from the \+Inf bucket 2/],
    ["histogram without sum", text("# TYPE h histogram", 'h_bucket{le="+Inf"} 2', "h_count 2"), /histogram h: no _sum sample/],
    ["histogram without count", text("# TYPE h histogram", 'h_bucket{le="+Inf"} 2', "h_sum 2"), /histogram h: no _count sample/],
    ["histogram not cumulative", text("# TYPE h histogram", 'h_bucket{le="1"} 3', 'h_bucket{le="2"} 2', 'h_bucket{le="+Inf"} 3', "h_sum 1", "h_count 3"), /line 3: histogram h: bucket count 2 is less than the previous bucket's 3/],
    ["histogram le out of order", text("# TYPE h histogram", 'h_bucket{le="2"} 1', 'h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 1', "h_sum 1", "h_count 1"), /line 3: histogram h: le="1" does not increase/],
    ["histogram bucket without le", text("# TYPE h histogram", "h_bucket 1"), /line 2: histogram h: bucket without an le label/],
    ["histogram bad le", text("# TYPE h histogram", 'h_bucket{le="big"} 1'), /line 2: histogram h: le: invalid value "big"/],
    ["histogram sum with le", text("# TYPE h histogram", 'h_bucket{le="+Inf"} 1', 'h_sum{le="1"} 1', "h_count 1"), /line 3: histogram h: h_sum must not carry an le label/],
    ["histogram fractional count", text("# TYPE h histogram", 'h_bucket{le="+Inf"} 1.5', "h_sum 1", "h_count 1.5"), /bucket count 1.5 is not a non-negative integer/],
    ["summary without quantile", text("# TYPE s summary", "s 1"), /line 2: summary s: summary sample without a quantile label/],
  ];
  for (const [what, input, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(() => parsePrometheusText(input)).toThrow(message);
    });
  }

  it("rejects a TYPE line after its samples even when untyped samples are allowed", () => {
    expect(() => parsePrometheusText(text("# HELP a x", "a 1", "# TYPE a gauge"), { requireType: false })).toThrow(/line 3: TYPE line for a after its samples/);
  });
});
