// A Connect sidecar registered with its parent (`Connect: { SidecarService:
// {} }`), with the defaults the agent fills in (agent/sidecar_service.go):
// ID `<parent id>-sidecar-proxy`, name `<parent name>-sidecar-proxy`, kind
// connect-proxy, the parent's tags and meta when it has none of its own, the
// parent's address, the lowest free port of sidecar_min_port..max_port
// (21000..21255), and two checks: a TCP "Connect Sidecar Listening" on that
// port every 10 s and an alias "Connect Sidecar Aliasing <parent id>".

import type { CheckDef, ServiceDef } from "./decode.js";
import { HttpError } from "./decode.js";

export const SIDECAR_MIN_PORT = 21000;
export const SIDECAR_MAX_PORT = 21255;

const check = (over: Partial<CheckDef>): CheckDef => ({
  checkId: "", name: "", notes: "", status: "", serviceId: "", type: "", ttlMs: 0, interval: "", timeout: "", ...over,
});

/** The sidecar's full definition. `ports` maps every local service ID to its port. */
export function sidecarOf(parent: ServiceDef, sc: ServiceDef, ports: ReadonlyMap<string, number>): ServiceDef {
  const id = `${parent.id}-sidecar-proxy`;
  const proxy = {
    DestinationServiceName: sc.proxy?.DestinationServiceName || parent.name,
    DestinationServiceID: sc.proxy?.DestinationServiceID || parent.id,
    LocalServiceAddress: sc.proxy?.LocalServiceAddress || "127.0.0.1",
    LocalServicePort: (sc.proxy?.LocalServicePort ?? 0) >= 1 ? sc.proxy!.LocalServicePort : parent.port,
  };
  let port = sc.port;
  if (port < 1) {
    const used = new Set<number>();
    for (const [other, p] of ports) {
      if (p < SIDECAR_MIN_PORT || p > SIDECAR_MAX_PORT) continue;
      // Re-registering keeps the port it was given.
      if (other === id) port = p;
      used.add(p);
    }
    for (let p = SIDECAR_MIN_PORT; port < 1 && p <= SIDECAR_MAX_PORT; p++) if (!used.has(p)) port = p;
    if (port < 1) throw new HttpError(500, `no port provided for sidecar_service and none left in the configured range [${SIDECAR_MIN_PORT}, ${SIDECAR_MAX_PORT}]`);
  }
  const checks = sc.checks.length > 0
    ? sc.checks
    : [
        check({ name: "Connect Sidecar Listening", type: "tcp", interval: "10s" }),
        check({ name: `Connect Sidecar Aliasing ${parent.id}`, type: "alias" }),
      ];
  return {
    ...sc,
    id,
    name: sc.name || `${parent.name}-sidecar-proxy`,
    kind: sc.kind || "connect-proxy",
    tags: sc.tags && sc.tags.length > 0 ? sc.tags : parent.tags && parent.tags.length > 0 ? [...parent.tags] : sc.tags,
    meta: sc.meta && Object.keys(sc.meta).length > 0 ? sc.meta : parent.meta && Object.keys(parent.meta).length > 0 ? { ...parent.meta } : sc.meta,
    address: sc.address || parent.address,
    port,
    proxy,
    checks,
    sidecar: null,
  };
}
