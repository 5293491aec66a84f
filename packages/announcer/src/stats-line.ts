// The fields of the announcer's `stats` log line (at exit, and on SIGUSR1):
// counters, check latency and memory.

import type { LogFields } from "@exacast/core";
import type { LatencySketch } from "./latency.js";
import type { LinkStats } from "./link.js";

export interface StatsSources {
  readonly apps: number;
  readonly announced: number;
  readonly checks: number;
  readonly resends: number;
  readonly latency: LatencySketch;
  readonly link: Readonly<LinkStats>;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function statsFields(s: StatsSources): LogFields {
  const l = s.link;
  return {
    apps: s.apps,
    announced: s.announced,
    checks: s.checks,
    check_p50_ms: round(s.latency.quantile(0.5)),
    check_p99_ms: round(s.latency.quantile(0.99)),
    commands: l.commands,
    acks: l.acks,
    ack_errors: l.ackErrors,
    ack_timeouts: l.ackTimeouts,
    resends: s.resends,
    ...memory(),
  };
}

function memory(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1048576);
  return { rss_mb: mb(m.rss), heap_used_mb: mb(m.heapUsed), heap_total_mb: mb(m.heapTotal) };
}
