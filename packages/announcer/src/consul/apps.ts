// The node's services → the registry's `consul` apps. A service whose tags
// are wrong is skipped with one log line naming it and the tag (again only
// when the problem changes); a name another source already uses is never
// taken over; sidecars and gateways are not apps (tags.ts isTypical).

import type { Logger } from "@exacast/core";
import type { RequestContext } from "../app-request.js";
import { validateApp } from "../app-request.js";
import type { AppSpec } from "../config.js";
import type { AppRegistry } from "../registry.js";
import type { ConsulService, TagOptions } from "./tags.js";
import { isTagged, isTypical, serviceApp } from "./tags.js";

export class ConsulApps {
  /** Service ID → the problems last logged for it. */
  private readonly skipLogged = new Map<string, string>();
  /** Service ID → the warnings last logged for it (GoCast VIPs masked). */
  private readonly warnLogged = new Map<string, string>();
  /** Tagged services of another kind (sidecars, gateways) already said to be ignored. */
  private readonly kindLogged = new Set<string>();

  constructor(
    private readonly registry: AppRegistry,
    private readonly opts: TagOptions,
    private readonly ctx: RequestContext,
    private readonly log: Logger,
  ) {}

  /** Services skipped at the last sync, by ID. */
  get skipped(): number {
    return this.skipLogged.size;
  }

  /** Make the registry's Consul apps those of `services`; returns how many there are. */
  sync(services: readonly ConsulService[]): number {
    const specs: AppSpec[] = [];
    const names = new Set<string>();
    const skippedNow = new Set<string>();
    const skip = (svc: ConsulService, problems: readonly string[]) => {
      skippedNow.add(svc.id);
      const key = problems.join("; ");
      if (this.skipLogged.get(svc.id) === key) return;
      this.skipLogged.set(svc.id, key);
      this.log.error("consul_service_skipped", { service: svc.id, service_name: svc.name, problems: key });
    };
    for (const svc of services) {
      if (!isTypical(svc) && isTagged(svc, this.opts) && !this.kindLogged.has(svc.id)) {
        this.kindLogged.add(svc.id);
        this.log.debug("consul_service_ignored", { service: svc.id, kind: svc.kind, why: "not a typical service (a sidecar copies its parent's tags)" });
      }
      const r = serviceApp(svc, this.opts);
      if (r === null) continue;
      if (r.kind === "skip") {
        skip(svc, r.problems);
        continue;
      }
      const owner = this.registry.get(r.name)?.spec.source;
      if ((owner !== undefined && owner !== "consul") || names.has(r.name)) {
        skip(svc, [`app name ${r.name} is already used by ${owner === undefined || owner === "consul" ? "another Consul service" : `an app from ${owner}`}`]);
        continue;
      }
      const v = validateApp(r.name, r.input, "consul", this.ctx);
      if (!v.ok) {
        skip(svc, v.error);
        continue;
      }
      names.add(r.name);
      specs.push(v.value.spec);
      const warned = (r.warnings ?? []).join("; ");
      if (warned !== "" && this.warnLogged.get(svc.id) !== warned) this.log.warn("consul_service_warning", { service: svc.id, service_name: svc.name, warning: warned });
      if (warned !== "") this.warnLogged.set(svc.id, warned);
      else this.warnLogged.delete(svc.id);
    }
    for (const id of [...this.skipLogged.keys()]) if (!skippedNow.has(id)) this.skipLogged.delete(id);
    const present = new Set(services.map((s) => s.id));
    for (const id of [...this.warnLogged.keys()]) if (!present.has(id)) this.warnLogged.delete(id);
    this.registry.sync("consul", specs);
    return specs.length;
  }
}
