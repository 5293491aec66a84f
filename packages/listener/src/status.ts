// GET /status: the services map, the neighbors with their session state and
// route counts, and what each template's last render did. Pure.

import type { IngestStats } from "./ingest.js";
import type { RenderJob } from "./render-job.js";
import type { Rib } from "./rib.js";
import type { ServicesMap } from "./services.js";
import { neighborKey } from "./services.js";

function addressOrder(a: string, b: string): number {
  const ka = neighborKey(a);
  const kb = neighborKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function statusOf(rib: Rib, map: ServicesMap, jobs: readonly RenderJob[], stats: IngestStats) {
  return {
    services: map.services,
    backends: map.backends,
    ports: map.ports,
    routes: rib.size,
    neighbors: rib.neighborSummaries().sort((a, b) => addressOrder(a.address, b.address)),
    templates: jobs.map((j) => ({ name: j.spec.name, source: j.spec.source, destination: j.spec.destination, last: j.last ?? null })),
    lines: { read: stats.lines, skipped: stats.skipped, rejected: stats.rejected },
  };
}
