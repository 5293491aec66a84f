// What `consul` checks read: the node's services and checks as the Consul
// watch last saw them. A check costs no request; the watch keeps this fresh
// with blocking queries. Pure apart from the clock it is given.
//
// A service passes when the node's own checks (serfHealth, maintenance, any
// other node check) and every check of the service are `passing` (`warning`
// fails, as Consul's ?passing filter has it); a service with no checks
// passes, as Consul counts it healthy. Maintenance (`_node_maintenance`,
// `_service_maintenance:<id>`) fails as maintenance, with the reason the
// operator gave (Notes).
//
// Results are held, for at most `hold` from when the doubt began, rather than
// trusted or failed at once, when:
// - Consul stops answering (lost());
// - the node is not in the catalog (no serfHealth): a graceful leave deletes
//   the node with its services and checks, so an agent restart answers [] —
//   that is an outage, not every check gone;
// - checks come back critical with no output after such an outage: restarted
//   checks start critical until their first run;
// - a service vanished from an answer Consul filtered by ACLs, though the
//   agent still has it (setHidden): it cannot be seen, not known to fail.
// An answer filtered by ACLs with no node check at all means the token may
// not read the node: that fails, it does not pass.

import type { HealthCheck } from "./client.js";
import type { ConsulService } from "./tags.js";
import { isTypical } from "./tags.js";

export const SERF_HEALTH = "serfHealth";
export const NODE_MAINTENANCE = "_node_maintenance";
export const SERVICE_MAINTENANCE = "_service_maintenance:";

export interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
  /** Consul maintenance mode: the app is disabled, not failing. */
  readonly maintenance?: boolean;
}

type Cause = "unreachable" | "absent";

const secs = (ms: number) => `${Math.round(ms / 100) / 10}s`;
const unrunCheck = (c: HealthCheck) => c.status === "critical" && c.output === "";

export class ConsulHealth {
  private checks: readonly HealthCheck[] | null = null;
  private services: readonly ConsulService[] | null = null;
  /** When the current doubt began (null: the data is fresh), and why. */
  private heldSince: number | null = null;
  private cause: Cause | null = null;
  /** Checks restarted critical that have not run yet → what they said before, and since when in doubt. */
  private unrun = new Map<string, { was: HealthCheck; since: number }>();
  /** Services hidden by ACLs → since when, and their checks as last seen. */
  private readonly hidden = new Map<string, { since: number; checks: HealthCheck[] }>();
  /** The token may not read the node (a filtered answer without node checks). */
  private nodeHidden = false;
  /** Each service's checks as last seen: an answer filtered by ACLs may already lack them when the service is found hidden. */
  private readonly lastSeen = new Map<string, HealthCheck[]>();

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
    const ids = new Set(services.map((s) => s.id));
    for (const id of [...this.lastSeen.keys()]) if (!ids.has(id)) this.lastSeen.delete(id);
  }

  /** A health answer for the node; `filtered`: X-Consul-Results-Filtered-By-ACLs. */
  setChecks(checks: readonly HealthCheck[], filtered = false): void {
    const nodeChecks = checks.filter((c) => c.serviceId === "");
    this.nodeHidden = filtered && nodeChecks.length === 0;
    if (this.nodeHidden) {
      this.checks = checks;
      this.unrun.clear();
      this.settle();
      return;
    }
    if (!nodeChecks.some((c) => c.checkId === SERF_HEALTH)) {
      // Nothing known to hold on the first answer: the verdict says why it fails.
      if (this.checks === null) this.checks = checks;
      else this.doubt("absent");
      return;
    }
    // Back after an outage or a leave: a check critical with no output has not run since the
    // agent restarted. It keeps what it said before, counted from when the doubt began.
    const before = new Map((this.checks ?? []).map((c) => [c.checkId, c]));
    const unrun = new Map<string, { was: HealthCheck; since: number }>();
    for (const c of checks) {
      if (!unrunCheck(c)) continue;
      const held = this.unrun.get(c.checkId);
      const was = this.heldSince !== null ? before.get(c.checkId) : undefined;
      if (held) unrun.set(c.checkId, held);
      else if (was && was.status !== "critical") unrun.set(c.checkId, { was, since: this.heldSince! });
    }
    this.unrun = unrun;
    this.checks = checks;
    if (!filtered) this.lastSeen.clear();
    const groups = new Map<string, HealthCheck[]>();
    for (const c of checks) if (c.serviceId !== "") groups.set(c.serviceId, [...(groups.get(c.serviceId) ?? []), c]);
    for (const [id, list] of groups) this.lastSeen.set(id, list);
    this.settle();
  }

  /** A query failed: hold (or keep holding). */
  lost(): void {
    this.doubt("unreachable");
  }

  /** The checks query answered with no change: an outage is over (a node still absent is not). */
  answered(): void {
    if (this.cause === "unreachable") this.settle();
  }

  /** The services Consul hides from the token though the agent has them; their last checks are held. */
  setHidden(ids: ReadonlySet<string>): void {
    for (const id of [...this.hidden.keys()]) if (!ids.has(id)) this.hidden.delete(id);
    for (const id of ids) {
      if (!this.hidden.has(id)) this.hidden.set(id, { since: this.now(), checks: this.lastSeen.get(id) ?? [] });
    }
  }

  /** When the next held verdict runs out (to check the apps then), or null. */
  nextExpiry(): number | null {
    const starts = [...(this.heldSince === null ? [] : [this.heldSince]), ...[...this.hidden.values(), ...this.unrun.values()].map((h) => h.since)];
    return starts.length === 0 ? null : Math.min(...starts) + this.hold;
  }

  verdict(service: string): Verdict {
    if (this.checks === null || this.services === null) return { ok: false, reason: "no answer from Consul yet" };
    const held = this.heldSince === null ? null : this.now() - this.heldSince;
    if (held !== null && held >= this.hold) return { ok: false, reason: `${this.why()} for ${secs(held)} (last results are held ${secs(this.hold)})` };
    const v = this.fromData(service);
    return held === null ? v : { ...v, reason: `${v.reason} (held: ${this.why()} for ${secs(held)})` };
  }

  private why(): string {
    if (this.cause === "absent") return `node ${this.node} not in Consul's catalog (the agent left or is restarting)`;
    return "no answer from Consul";
  }

  private doubt(cause: Cause): void {
    this.heldSince ??= this.now();
    // A failed query says less than an answer did: the node absent, or checks not run, stays the reason.
    if (this.cause === null || cause !== "unreachable") this.cause = cause;
  }

  private settle(): void {
    this.heldSince = null;
    this.cause = null;
  }

  private fromData(service: string): Verdict {
    const typical = this.services!.filter(isTypical);
    const byId = typical.filter((s) => s.id === service);
    const instances = byId.length > 0 ? byId : typical.filter((s) => s.name === service);
    if (instances.length === 0) return { ok: false, reason: `service ${JSON.stringify(service)} is not registered on node ${this.node}` };
    if (this.nodeHidden) {
      return { ok: false, reason: `Consul shows no node checks (serfHealth) for ${this.node}: does the token have node:read?` };
    }
    const ids = new Set(instances.map((s) => s.id));
    const mine = this.checks!.filter((c) => c.serviceId === "" || ids.has(c.serviceId));
    if (!mine.some((c) => c.serviceId === "" && c.checkId === SERF_HEALTH)) {
      return { ok: false, reason: `node ${this.node} is not in Consul's catalog (no serfHealth): the agent left, or has not joined` };
    }
    // Results held for this service: its checks not run since a restart, or the whole service hidden by ACLs.
    let unrunFor: number | null = null;
    const checks = mine.map((c) => {
      const u = this.unrun.get(c.checkId);
      if (!u) return c;
      unrunFor = Math.max(unrunFor ?? 0, this.now() - u.since);
      return u.was;
    });
    let hiddenFor: number | null = null;
    for (const id of ids) {
      const h = this.hidden.get(id);
      if (!h) continue;
      checks.push(...h.checks);
      hiddenFor = Math.max(hiddenFor ?? 0, this.now() - h.since);
    }
    const held = hiddenFor !== null ? `hidden from this token by ACLs` : unrunFor !== null ? "checks not run yet since the agent restarted" : null;
    const heldFor = Math.max(hiddenFor ?? 0, unrunFor ?? 0);
    if (held !== null && heldFor >= this.hold) {
      return { ok: false, reason: `service ${JSON.stringify(service)}: ${held} for ${secs(heldFor)} (last results are held ${secs(this.hold)})` };
    }
    const v = judge(checks.filter((c) => c.serviceId === ""), checks.filter((c) => c.serviceId !== ""), this.node);
    return held === null ? v : { ...v, reason: `${v.reason} (held: ${held} for ${secs(heldFor)})` };
  }
}

/** The node's and the service's checks → a verdict: maintenance first, then the first check not passing. */
function judge(nodeChecks: readonly HealthCheck[], own: readonly HealthCheck[], node: string): Verdict {
  const maint = [...nodeChecks, ...own].find((c) => c.checkId === NODE_MAINTENANCE || c.checkId.startsWith(SERVICE_MAINTENANCE));
  if (maint) {
    const what = maint.checkId === NODE_MAINTENANCE ? `node ${node}` : `service ${maint.serviceId}`;
    return { ok: false, maintenance: true, reason: `${what} is in Consul maintenance mode${maint.notes?.trim() ? `: ${maint.notes.trim()}` : ""}` };
  }
  const bad = [...nodeChecks, ...own].find((c) => c.status !== "passing");
  if (bad) {
    const what = bad.serviceId === "" ? `node check ${bad.checkId}` : `check ${bad.checkId}`;
    return { ok: false, reason: `${what} is ${bad.status}${bad.output.trim() ? `: ${bad.output.trim()}` : ""}` };
  }
  return { ok: true, reason: own.length === 0 ? "no checks (Consul counts the service healthy)" : `${own.length} check${own.length === 1 ? "" : "s"} passing` };
}
