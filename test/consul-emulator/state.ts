// The emulated agent's state: one node, its services and checks, whether the
// node is in the cluster's catalog, whether the cluster has a leader, and the
// Raft-like indexes blocking queries watch. A single counter is bumped on
// every write; tables (nodes, services, checks) and each service name
// remember the counter value of their last change, as Consul's state store
// does, so a blocking query wakes only when the data it reads may have changed.

import { randomUUID } from "node:crypto";
import { freeze, sortChecks, sortServices, type CatalogData, type CheckRec, type NodeRec, type ServiceRec, type Tables } from "./catalog.js";
import { HttpError, type CheckDef, type CheckStatus, type ServiceDef } from "./decode.js";
import { sidecarOf } from "./sidecar.js";

export type { CheckRec, NodeRec, ServiceRec } from "./catalog.js";

const OUTPUT_MAX = 4096;
export const SERF_CHECK = "serfHealth";

function truncate(output: string): string {
  if (output.length <= OUTPUT_MAX) return output;
  return `${output.slice(0, OUTPUT_MAX)} ... (captured ${OUTPUT_MAX} of ${output.length} bytes)`;
}

export class AgentState {
  readonly node: NodeRec;
  readonly services = new Map<string, ServiceRec>();
  /** Checks of the local agent (what /v1/agent/checks lists), maintenance checks included. */
  readonly checks = new Map<string, CheckRec>();
  /** Catalog-only entries: the server's own "consul" service and serfHealth. */
  readonly catalogServices = new Map<string, ServiceRec>();
  readonly nodeChecks = new Map<string, CheckRec>();
  knownLeader = true;
  /** false once the node left the cluster: the servers deleted it, its services and checks. */
  inCatalog = true;
  /** Date.now() when the leader was lost. */
  leaderLostAt = 0;
  /** Bumped by a snapshot restore: blocked queries give up and answer (blockingquery's AbandonCh). */
  restores = 0;

  // Internal to the emulator (lifecycle.ts writes them too).
  counter = 0;
  readonly tables: Tables = { nodes: 0, services: 0, checks: 0 };
  readonly byName = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();
  /** Sidecar ID → parent ID, for sidecars registered with their parent. */
  private readonly sidecars = new Map<string, string>();
  /** Tags another client wrote to the catalog (PUT /v1/catalog/register) until anti-entropy puts the agent's back. */
  readonly catalogTags = new Map<string, string[] | null>();
  private frozen: CatalogData | null = null;

  constructor(nodeName: string, datacenter: string, address: string, consulService: boolean) {
    const at = this.bump();
    this.tables.nodes = at;
    this.node = { id: randomUUID(), name: nodeName, address, datacenter, createIndex: at, modifyIndex: at };
    const serf = this.bump();
    this.nodeChecks.set(SERF_CHECK, {
      checkId: SERF_CHECK, name: "Serf Health Status", notes: "", status: "passing", initial: "passing", output: "Agent alive and reachable",
      serviceId: "", serviceName: "", serviceTags: [], type: "", ttlMs: 0, interval: "", timeout: "", createIndex: serf, modifyIndex: serf,
    });
    this.tables.checks = serf;
    if (consulService) {
      const at2 = this.bump();
      this.catalogServices.set("consul", {
        id: "consul", name: "consul", kind: "", tags: [], address: "", port: 8300,
        meta: { raft_version: "3", serf_protocol_current: "2", serf_protocol_max: "5", serf_protocol_min: "1", version: "1.20.6" },
        taggedAddresses: null, weights: { Passing: 1, Warning: 1 }, enableTagOverride: false, proxy: null, createIndex: at2, modifyIndex: at2,
      });
      this.tables.services = at2;
      this.byName.set("consul", at2);
    }
  }

  // ---- indexes, change notification, the catalog as read -------------------

  get index(): number {
    return this.counter;
  }
  bump(): number {
    return ++this.counter;
  }
  changed(): void {
    for (const fn of [...this.listeners]) fn();
  }
  /** Calls fn after every write; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  touchAll(at: number): void {
    this.tables.nodes = this.tables.services = this.tables.checks = at;
    for (const s of [...this.catalogServices.values(), ...this.services.values()]) this.byName.set(s.name, at);
  }

  /** The catalog as the servers hold it now (frozen while there is no leader). */
  catalog(): CatalogData {
    if (this.frozen) return this.frozen;
    const services = this.inCatalog
      ? [...this.catalogServices.values(), ...this.services.values()].map((s) => (this.catalogTags.has(s.id) ? { ...s, tags: this.catalogTags.get(s.id)! } : s))
      : [];
    return {
      node: this.inCatalog ? this.node : null,
      services: sortServices(services),
      checks: this.inCatalog ? sortChecks([...this.nodeChecks.values(), ...this.checks.values()]) : [],
      tables: this.tables,
      byName: this.byName,
    };
  }

  /** How long since the servers last heard from a leader (X-Consul-LastContact), ms. */
  lastContactMs(): number {
    return this.knownLeader ? 0 : Date.now() - this.leaderLostAt;
  }

  // ---- the cluster: leader (membership and restores: lifecycle.ts) ------------

  setKnownLeader(known: boolean): void {
    if (known === this.knownLeader) return;
    this.knownLeader = known;
    if (!known) {
      this.frozen = freeze(this.catalog());
      this.leaderLostAt = Date.now();
    } else this.frozen = null; // anti-entropy writes what the agent changed meanwhile
    this.changed();
  }

  // ---- writes ----------------------------------------------------------------

  registerService(def: ServiceDef, replaceExistingChecks = false): void {
    const at = this.bump();
    const prev = this.services.get(def.id);
    const { checks, sidecar, proxy, ...svc } = def;
    this.services.set(def.id, { ...svc, proxy: proxy && { ...proxy }, createIndex: prev?.createIndex ?? at, modifyIndex: at });
    if (prev && prev.name !== def.name) this.byName.set(prev.name, at);
    this.catalogTags.delete(def.id);
    const ids = checks.map((c, i) => c.checkId || (checks.length > 1 ? `service:${def.id}:${i + 1}` : `service:${def.id}`));
    if (replaceExistingChecks) {
      for (const c of [...this.checks.values()]) if (c.serviceId === def.id && !ids.includes(c.checkId)) this.dropCheck(c.checkId);
    }
    checks.forEach((c, i) => this.putCheck({ ...c, checkId: ids[i]!, name: c.name || `Service '${def.name}' check`, serviceId: def.id }, at));
    for (const c of this.checks.values()) {
      if (c.serviceId === def.id) Object.assign(c, { serviceName: def.name, serviceTags: [...(def.tags ?? [])] });
    }
    this.tables.services = this.tables.checks = at;
    this.byName.set(def.name, at);
    if (sidecar) {
      const ports = new Map([...this.services.values()].map((s) => [s.id, s.port]));
      this.sidecars.set(`${def.id}-sidecar-proxy`, def.id);
      this.registerService(sidecarOf(def, sidecar, ports), replaceExistingChecks);
      return;
    }
    this.changed();
  }

  deregisterService(id: string): void {
    const svc = this.services.get(id);
    if (!svc) throw new HttpError(404, `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
    const at = this.bump();
    this.services.delete(id);
    this.catalogTags.delete(id);
    for (const c of [...this.checks.values()]) if (c.serviceId === id) this.dropCheck(c.checkId);
    this.tables.services = this.tables.checks = at;
    this.byName.set(svc.name, at);
    // A sidecar registered with its parent goes with it (removeServiceSidecars).
    for (const [sc, parent] of this.sidecars) {
      if (parent !== id) continue;
      this.sidecars.delete(sc);
      if (this.services.has(sc)) return this.deregisterService(sc);
    }
    this.changed();
  }

  registerCheck(def: CheckDef): void {
    const at = this.bump();
    const checkId = def.checkId || def.name;
    this.putCheck({ ...def, checkId }, at);
    this.tables.checks = at;
    this.touchCheckOwners(this.checks.get(checkId)!, at);
    this.changed();
  }

  deregisterCheck(checkId: string): void {
    const check = this.requireCheck(checkId);
    const at = this.bump();
    this.dropCheck(checkId);
    this.tables.checks = at;
    this.touchCheckOwners(check, at);
    this.changed();
  }

  /** PUT /v1/agent/check/{pass,warn,fail,update}: only TTL checks, as in Consul. */
  updateTTL(checkId: string, status: CheckStatus, output: string): void {
    const check = this.requireCheck(checkId);
    if (check.type !== "ttl") throw new HttpError(500, `CheckID "${checkId}" does not have associated TTL`);
    this.setStatus(check, status, truncate(output));
    this.armTTL(check);
  }

  /** Test hook: set any check's status, serfHealth included (a failed node). */
  forceStatus(checkId: string, status: CheckStatus, output?: string): void {
    const check = this.checks.get(checkId) ?? this.nodeChecks.get(checkId);
    if (!check) throw new Error(`no check ${checkId}`);
    this.setStatus(check, status, truncate(output ?? check.output));
    if (check.type === "ttl") this.armTTL(check);
  }

  requireCheck(checkId: string): CheckRec {
    const check = this.checks.get(checkId);
    if (!check) throw new HttpError(404, `Unknown check ID "${checkId}". Ensure that the check ID is passed, not the check name.`);
    return check;
  }

  close(): void {
    for (const t of this.ttlTimers.values()) clearTimeout(t);
    this.ttlTimers.clear();
    this.listeners.clear();
  }

  // ---- internals -------------------------------------------------------------

  private putCheck(def: CheckDef, at: number): void {
    const svc = def.serviceId ? this.services.get(def.serviceId) : undefined;
    if (def.serviceId && !svc) throw new HttpError(404, `ServiceID "${def.serviceId}" does not exist`);
    const prev = this.checks.get(def.checkId);
    const { status, ...rest } = def;
    // Re-registering a check keeps its last status and output, as the agent's
    // check-state snapshot does; a new check starts critical unless told.
    const rec: CheckRec = {
      ...rest, status: prev?.status ?? (status || "critical"), initial: status || "critical", output: prev?.output ?? "",
      serviceName: svc?.name ?? "", serviceTags: [...(svc?.tags ?? [])], createIndex: prev?.createIndex ?? at, modifyIndex: at,
    };
    this.checks.set(rec.checkId, rec);
    this.armTTL(rec);
  }

  private dropCheck(checkId: string): void {
    this.checks.delete(checkId);
    clearTimeout(this.ttlTimers.get(checkId));
    this.ttlTimers.delete(checkId);
  }

  private setStatus(check: CheckRec, status: CheckStatus, output: string): void {
    // Consul writes to the catalog only when something visible changes, so an
    // unchanged TTL refresh does not wake blocking queries.
    if (check.status === status && check.output === output) return;
    const at = this.bump();
    Object.assign(check, { status, output, modifyIndex: at });
    this.tables.checks = at;
    this.touchCheckOwners(check, at);
    this.changed();
  }

  /** A node-level check changes the health of every service on the node. */
  touchCheckOwners(check: CheckRec, at: number): void {
    if (check.serviceName) return void this.byName.set(check.serviceName, at);
    for (const s of [...this.catalogServices.values(), ...this.services.values()]) this.byName.set(s.name, at);
  }

  private armTTL(check: CheckRec): void {
    clearTimeout(this.ttlTimers.get(check.checkId));
    if (check.type !== "ttl" || check.ttlMs <= 0) return;
    const timer = setTimeout(() => {
      this.ttlTimers.delete(check.checkId);
      if (this.checks.get(check.checkId) !== check) return;
      this.setStatus(check, "critical", `TTL expired (last output before timeout follows): ${check.output}`);
    }, check.ttlMs);
    timer.unref();
    this.ttlTimers.set(check.checkId, timer);
  }
}
