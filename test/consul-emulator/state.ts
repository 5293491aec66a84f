// The emulated agent's state: one node, its services and checks, and the
// Raft-like indexes that blocking queries watch. A single counter is bumped
// on every write; tables (services, checks) and each service name remember
// the counter value of their last change, as Consul's state store does, so a
// blocking query wakes only when the data it reads may have changed.

import { randomUUID } from "node:crypto";
import { HttpError, type CheckDef, type CheckStatus, type ServiceDef } from "./decode.js";

export interface ServiceRec extends Omit<ServiceDef, "checks"> {
  createIndex: number;
  modifyIndex: number;
}

export interface CheckRec extends Omit<CheckDef, "status"> {
  status: CheckStatus;
  output: string;
  serviceName: string;
  serviceTags: string[];
  createIndex: number;
  modifyIndex: number;
}

export interface NodeRec {
  id: string;
  name: string;
  address: string;
  datacenter: string;
  createIndex: number;
  modifyIndex: number;
}

const OUTPUT_MAX = 4096;
export const SERF_CHECK = "serfHealth";

function truncate(output: string): string {
  if (output.length <= OUTPUT_MAX) return output;
  return `${output.slice(0, OUTPUT_MAX)} ... (captured ${OUTPUT_MAX} of ${output.length} bytes)`;
}

export class AgentState {
  readonly node: NodeRec;
  readonly services = new Map<string, ServiceRec>();
  /** Checks of the local agent (what /v1/agent/checks lists). */
  readonly checks = new Map<string, CheckRec>();
  /** Catalog-only entries: the server's own "consul" service and serfHealth. */
  readonly catalogServices = new Map<string, ServiceRec>();
  readonly nodeChecks = new Map<string, CheckRec>();
  knownLeader = true;

  private counter = 0;
  private readonly tables = { nodes: 0, services: 0, checks: 0 };
  private readonly byName = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();

  constructor(nodeName: string, datacenter: string, address: string, consulService: boolean) {
    const at = this.bump();
    this.tables.nodes = at;
    this.node = { id: randomUUID(), name: nodeName, address, datacenter, createIndex: at, modifyIndex: at };
    const serf = this.bump();
    this.nodeChecks.set(SERF_CHECK, {
      checkId: SERF_CHECK, name: "Serf Health Status", notes: "", status: "passing", output: "Agent alive and reachable",
      serviceId: "", serviceName: "", serviceTags: [], type: "", ttlMs: 0, interval: "", timeout: "",
      createIndex: serf, modifyIndex: serf,
    });
    this.tables.checks = serf;
    if (consulService) {
      const at2 = this.bump();
      this.catalogServices.set("consul", {
        id: "consul", name: "consul", kind: "", tags: [], address: "", port: 8300,
        meta: { raft_version: "3", serf_protocol_current: "2", serf_protocol_max: "5", serf_protocol_min: "1", version: "1.20.6" },
        taggedAddresses: null, weights: { Passing: 1, Warning: 1 }, enableTagOverride: false, createIndex: at2, modifyIndex: at2,
      });
      this.tables.services = at2;
      this.byName.set("consul", at2);
    }
  }

  // ---- indexes and change notification ----------------------------------

  get index(): number {
    return this.counter;
  }
  private bump(): number {
    return ++this.counter;
  }
  private touchName(name: string, at: number): void {
    this.byName.set(name, at);
  }
  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }
  /** Calls fn after every write; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  servicesIndex(): number {
    return this.tables.services;
  }
  checksIndex(): number {
    return this.tables.checks;
  }
  nodeIndex(): number {
    return Math.max(this.tables.nodes, this.tables.services);
  }
  /** Index of one service name; a name never seen falls back to the services table (as Consul does). */
  serviceIndex(name: string): number {
    return this.byName.get(name) ?? this.tables.services;
  }

  // ---- reads ---------------------------------------------------------------

  /** Every catalog service instance on the node: the agent's and the server's own. */
  allServices(): ServiceRec[] {
    return [...this.catalogServices.values(), ...this.services.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  allChecks(): CheckRec[] {
    return [...this.nodeChecks.values(), ...this.checks.values()].sort((a, b) => (a.checkId < b.checkId ? -1 : 1));
  }
  checksOf(serviceId: string): CheckRec[] {
    return this.allChecks().filter((c) => c.serviceId === "" || c.serviceId === serviceId);
  }

  // ---- writes ----------------------------------------------------------------

  registerService(def: ServiceDef, replaceExistingChecks = false): void {
    const at = this.bump();
    const prev = this.services.get(def.id);
    const { checks, ...svc } = def;
    this.services.set(def.id, { ...svc, createIndex: prev?.createIndex ?? at, modifyIndex: at });
    if (prev && prev.name !== def.name) this.touchName(prev.name, at);
    const ids = checks.map((c, i) => c.checkId || (checks.length > 1 ? `service:${def.id}:${i + 1}` : `service:${def.id}`));
    if (replaceExistingChecks) {
      for (const c of [...this.checks.values()]) if (c.serviceId === def.id && !ids.includes(c.checkId)) this.dropCheck(c.checkId);
    }
    checks.forEach((c, i) => {
      this.putCheck({ ...c, checkId: ids[i]!, name: c.name || `Service '${def.name}' check`, serviceId: def.id }, at);
    });
    for (const c of this.checks.values()) {
      if (c.serviceId === def.id) Object.assign(c, { serviceName: def.name, serviceTags: [...(def.tags ?? [])] });
    }
    this.tables.services = at;
    this.tables.checks = at;
    this.touchName(def.name, at);
    this.changed();
  }

  deregisterService(id: string): void {
    const svc = this.services.get(id);
    if (!svc) throw new HttpError(404, `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
    const at = this.bump();
    this.services.delete(id);
    for (const c of [...this.checks.values()]) if (c.serviceId === id) this.dropCheck(c.checkId);
    this.tables.services = at;
    this.tables.checks = at;
    this.touchName(svc.name, at);
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

  setKnownLeader(known: boolean): void {
    this.knownLeader = known;
    this.changed();
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
      ...rest, status: prev?.status ?? (status || "critical"), output: prev?.output ?? "", serviceName: svc?.name ?? "", serviceTags: [...(svc?.tags ?? [])],
      createIndex: prev?.createIndex ?? at, modifyIndex: at,
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
  private touchCheckOwners(check: CheckRec, at: number): void {
    if (check.serviceName) return this.touchName(check.serviceName, at);
    for (const s of this.allServices()) this.touchName(s.name, at);
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
