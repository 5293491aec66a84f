// What `consul` checks read: the node's services and checks as the Consul
// watch last saw them. A check costs no request; the watch keeps this fresh
// with blocking queries. Pure apart from the clock it is given.
//
// A service passes when the node's own checks (serfHealth, node maintenance)
// and every check of the service are `passing` (`warning` fails, as Consul's
// ?passing filter has it); a service with no checks passes, as Consul counts
// it healthy. An answer with no node check at all means the token may not
// read the node (ACLs hide rather than refuse): that fails, it does not pass.
// When Consul stops answering, the last verdicts hold for `hold` ms, then fail.

import type { HealthCheck } from "./client.js";
import type { ConsulService } from "./tags.js";

export interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
}

const secs = (ms: number) => `${Math.round(ms / 100) / 10}s`;

export class ConsulHealth {
  private checks: readonly HealthCheck[] | null = null;
  private services: readonly ConsulService[] | null = null;
  /** When Consul stopped answering (null: it answers). */
  private lostAt: number | null = null;

  constructor(
    private readonly hold: number,
    private readonly now: () => number,
    private node = "(unknown)",
  ) {}

  setNode(node: string): void {
    this.node = node;
  }

  setServices(services: readonly ConsulService[]): void {
    this.services = services;
    this.lostAt = null;
  }

  setChecks(checks: readonly HealthCheck[]): void {
    this.checks = checks;
    this.lostAt = null;
  }

  /** A query failed: start (or continue) holding. */
  lost(): void {
    this.lostAt ??= this.now();
  }

  /** Consul answers again (a query succeeded that did not carry data for this cache). */
  answered(): void {
    this.lostAt = null;
  }

  get holdingSince(): number | null {
    return this.lostAt;
  }

  verdict(service: string): Verdict {
    if (this.checks === null || this.services === null) return { ok: false, reason: "no answer from Consul yet" };
    const silent = this.lostAt === null ? 0 : this.now() - this.lostAt;
    if (this.lostAt !== null && silent >= this.hold) {
      return { ok: false, reason: `no answer from Consul for ${secs(silent)} (last results are held ${secs(this.hold)})` };
    }
    const v = this.fromData(service);
    return this.lostAt === null ? v : { ok: v.ok, reason: `${v.reason} (held: no answer from Consul for ${secs(silent)})` };
  }

  private fromData(service: string): Verdict {
    const byId = this.services!.filter((s) => s.id === service);
    const instances = byId.length > 0 ? byId : this.services!.filter((s) => s.name === service);
    if (instances.length === 0) return { ok: false, reason: `service ${JSON.stringify(service)} is not registered on node ${this.node}` };
    const checks = this.checks!;
    const nodeChecks = checks.filter((c) => c.serviceId === "");
    if (nodeChecks.length === 0) {
      return { ok: false, reason: `Consul shows no node checks (serfHealth) for ${this.node}: does the token have node:read?` };
    }
    const ids = new Set(instances.map((s) => s.id));
    const own = checks.filter((c) => ids.has(c.serviceId));
    const bad = [...nodeChecks, ...own].find((c) => c.status !== "passing");
    if (bad) {
      const what = bad.serviceId === "" ? `node check ${bad.checkId}` : `check ${bad.checkId}`;
      return { ok: false, reason: `${what} is ${bad.status}${bad.output.trim() ? `: ${bad.output.trim()}` : ""}` };
    }
    return { ok: true, reason: own.length === 0 ? "no checks (Consul counts the service healthy)" : `${own.length} check${own.length === 1 ? "" : "s"} passing` };
  }
}
