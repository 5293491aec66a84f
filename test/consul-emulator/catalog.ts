// What the servers' catalog holds for the emulated node, as the catalog and
// health endpoints read it: the node (null once it has left the cluster), its
// service instances and checks, and the Raft-like indexes blocking queries
// watch. The live catalog is built from the agent's state on each read; while
// the cluster has no leader, reads see a frozen copy (nothing can be written
// to the servers then, so the agent's own changes wait for anti-entropy).

import type { CheckStatus } from "./decode.js";

export interface ProxyDef {
  DestinationServiceName: string;
  DestinationServiceID: string;
  LocalServiceAddress: string;
  LocalServicePort: number;
}

export interface ServiceRec {
  id: string;
  name: string;
  kind: string;
  tags: string[] | null;
  address: string;
  port: number;
  meta: Record<string, string> | null;
  taggedAddresses: Record<string, { Address: string; Port: number }> | null;
  weights: { Passing: number; Warning: number };
  enableTagOverride: boolean;
  proxy: ProxyDef | null;
  createIndex: number;
  modifyIndex: number;
}

export interface CheckRec {
  checkId: string;
  name: string;
  notes: string;
  status: CheckStatus;
  /** The status the check starts with when the agent (re)starts: its definition's, else critical. */
  initial: CheckStatus;
  output: string;
  serviceId: string;
  serviceName: string;
  serviceTags: string[];
  /** ttl, http, tcp, …; "" for the agent's own maintenance checks. */
  type: string;
  ttlMs: number;
  interval: string;
  timeout: string;
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

export interface Tables {
  nodes: number;
  services: number;
  checks: number;
}

export interface CatalogData {
  /** null: the node is not in the catalog (it left, or has not joined yet). */
  readonly node: NodeRec | null;
  /** Sorted by ID. */
  readonly services: readonly ServiceRec[];
  /** Sorted by check ID; the node's own checks (serfHealth, maintenance) included. */
  readonly checks: readonly CheckRec[];
  readonly tables: Readonly<Tables>;
  readonly byName: ReadonlyMap<string, number>;
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
export const sortServices = (list: ServiceRec[]) => list.sort(byKey((s) => s.id));
export const sortChecks = (list: CheckRec[]) => list.sort(byKey((c) => c.checkId));

/** A copy that later writes to the agent's records cannot change. */
export function freeze(d: CatalogData): CatalogData {
  return {
    node: d.node && { ...d.node },
    services: d.services.map((s) => ({ ...s, tags: s.tags && [...s.tags] })),
    checks: d.checks.map((c) => ({ ...c, serviceTags: [...c.serviceTags] })),
    tables: { ...d.tables },
    byName: new Map(d.byName),
  };
}

/** Node names are case-insensitive in the catalog (the state store indexes them lower-cased); an ID matches too. */
export function isNode(d: CatalogData, name: string): boolean {
  return d.node !== null && (name.toLowerCase() === d.node.name.toLowerCase() || name === d.node.id);
}

export function checksOf(d: CatalogData, serviceId: string): CheckRec[] {
  return d.checks.filter((c) => c.serviceId === "" || c.serviceId === serviceId);
}

export const servicesIndex = (d: CatalogData) => d.tables.services;
export const checksIndex = (d: CatalogData) => d.tables.checks;
export const nodeIndex = (d: CatalogData) => Math.max(d.tables.nodes, d.tables.services);
/** Index of one service name; a name never seen falls back to the services table (as Consul does). */
export const serviceIndex = (d: CatalogData, name: string) => d.byName.get(name) ?? d.tables.services;
