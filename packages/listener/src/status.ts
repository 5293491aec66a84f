// GET /status: the services map, the neighbors with their session state and
// route counts, and what each template's last render did. Pure.

import type { IngestStats } from "./ingest.js";
import type { NeighborTimes } from "./neighbor-times.js";
import type { RenderJob } from "./render-job.js";
import type { Rib } from "./rib.js";
import type { ServicesMap } from "./services.js";
import { neighborKey } from "./services.js";

function addressOrder(a: string, b: string): number {
  const ka = neighborKey(a);
  const kb = neighborKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** What the process adds to /status beyond the RIB: who it is and when things happened. */
export interface StatusContext {
  readonly host: string;
  readonly version: string;
  readonly pid: number;
  /** Wall time the process started, ISO. */
  readonly started: string;
  readonly times: NeighborTimes;
  /** A clock reading of the daemon → wall time, ISO. */
  readonly toIso: (clockMs: number) => string;
}

export function statusOf(rib: Rib, map: ServicesMap, jobs: readonly RenderJob[], stats: IngestStats, ctx?: StatusContext) {
  const iso = (t: number | null) => (t === null || ctx === undefined ? null : ctx.toIso(t));
  const stale = [...rib.staleRoutes()].map(({ route, period }) => ({
    neighbor: route.neighbor,
    prefix: route.prefix.text,
    path_id: route.pathId,
    until: iso(ctx?.times.graceEnd(route.neighbor, period) ?? null),
  }));
  return {
    ...(ctx ? { program: "exacast-listener", host: ctx.host, version: ctx.version, pid: ctx.pid, started: ctx.started } : {}),
    services: map.services,
    backends: map.backends,
    ports: map.ports,
    routes: rib.size,
    neighbors: rib
      .neighborSummaries()
      .sort((a, b) => addressOrder(a.address, b.address))
      .map((n) => ({ ...n, since: iso(ctx?.times.sinceOf(n.address) ?? null) })),
    /** Routes kept through a session loss (stale_grace), and when each goes. */
    stale,
    templates: jobs.map((j) => ({ name: j.spec.name, source: j.spec.source, destination: j.spec.destination, last: j.last ?? null })),
    lines: { read: stats.lines, skipped: stats.skipped, rejected: stats.rejected, refused: stats.refused },
  };
}

export type ListenerStatus = ReturnType<typeof statusOf>;
