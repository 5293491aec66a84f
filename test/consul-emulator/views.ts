// JSON shapes of Consul's responses, field for field and in Go's field order:
// api.AgentService (agent endpoints), structs.NodeService and structs.Node
// (catalog and health endpoints), structs.HealthCheck (every check list).
// Community edition: no Namespace/Partition fields.

import { createHash } from "node:crypto";
import { checksOf, type CatalogData, type CheckRec, type NodeRec, type ServiceRec } from "./catalog.js";

/** Go encodes maps with sorted keys. */
export function sortedObject<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

/** GET /v1/agent/services and /v1/agent/service/:id: nil Tags and Meta become [] and {}. */
export function agentService(s: ServiceRec, datacenter: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.kind) out.Kind = s.kind;
  Object.assign(out, { ID: s.id, Service: s.name, Tags: s.tags ?? [], Meta: s.meta ?? {}, Port: s.port, Address: s.address });
  if (s.taggedAddresses) out.TaggedAddresses = s.taggedAddresses;
  Object.assign(out, { Weights: s.weights, EnableTagOverride: s.enableTagOverride });
  if (s.kind === "connect-proxy") out.Proxy = proxyView(s);
  out.Datacenter = datacenter;
  return out;
}

/** The agent's opaque hash for hash-based blocking on /v1/agent/service/:id. */
export function contentHash(view: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(view)).digest("hex").slice(0, 16);
}

/** structs.ConnectProxyConfig: a sidecar's destination, empty for other services. */
function proxyView(s: ServiceRec): Record<string, unknown> {
  return s.proxy ? { ...s.proxy, Mode: "", MeshGateway: {}, Expose: {} } : { Mode: "", MeshGateway: {}, Expose: {} };
}

/** structs.NodeService as the catalog and health endpoints return it. */
export function nodeService(s: ServiceRec): Record<string, unknown> {
  return {
    Kind: s.kind,
    ID: s.id,
    Service: s.name,
    Tags: s.tags,
    Address: s.address,
    TaggedAddresses: s.taggedAddresses ?? undefined,
    Meta: s.meta,
    Port: s.port,
    SocketPath: "",
    Weights: s.weights,
    EnableTagOverride: s.enableTagOverride,
    Proxy: proxyView(s),
    Connect: {},
    PeerName: "",
    CreateIndex: s.createIndex,
    ModifyIndex: s.modifyIndex,
  };
}

/** structs.HealthCheck; the agent's own list carries zero Raft indexes. */
export function healthCheck(c: CheckRec, node: string, local = false): Record<string, unknown> {
  return {
    Node: node,
    CheckID: c.checkId,
    Name: c.name,
    Status: c.status,
    Notes: c.notes,
    Output: c.output,
    ServiceID: c.serviceId,
    ServiceName: c.serviceName,
    ServiceTags: c.serviceTags,
    Type: c.type,
    Interval: c.interval,
    Timeout: c.timeout,
    ExposedPort: 0,
    // The agent's list documents an empty Definition; the check's type and
    // timings are in Type, Interval and Timeout.
    Definition: {},
    CreateIndex: local ? 0 : c.createIndex,
    ModifyIndex: local ? 0 : c.modifyIndex,
  };
}

export function nodeView(n: NodeRec): Record<string, unknown> {
  return {
    ID: n.id,
    Node: n.name,
    Address: n.address,
    Datacenter: n.datacenter,
    TaggedAddresses: { lan: n.address, lan_ipv4: n.address, wan: n.address, wan_ipv4: n.address },
    Meta: { "consul-network-segment": "" },
    CreateIndex: n.createIndex,
    ModifyIndex: n.modifyIndex,
  };
}

/** One entry of GET /v1/health/service/:service; health answers [] for nil Tags. */
export function healthEntry(d: CatalogData, node: NodeRec, s: ServiceRec): Record<string, unknown> {
  return {
    Node: nodeView(node),
    Service: { ...nodeService(s), Tags: s.tags ?? [] },
    Checks: checksOf(d, s.id).map((c) => healthCheck(c, node.name)),
  };
}

/** One entry of GET /v1/catalog/service/:service (structs.ServiceNode). */
export function catalogServiceNode(n: NodeRec, s: ServiceRec): Record<string, unknown> {
  return {
    ID: n.id,
    Node: n.name,
    Address: n.address,
    Datacenter: n.datacenter,
    TaggedAddresses: { lan: n.address, lan_ipv4: n.address, wan: n.address, wan_ipv4: n.address },
    NodeMeta: { "consul-network-segment": "" },
    ServiceKind: s.kind,
    ServiceID: s.id,
    ServiceName: s.name,
    ServiceTags: s.tags,
    ServiceAddress: s.address,
    ServiceTaggedAddresses: s.taggedAddresses ?? undefined,
    ServiceWeights: s.weights,
    ServiceMeta: s.meta,
    ServicePort: s.port,
    ServiceSocketPath: "",
    ServiceEnableTagOverride: s.enableTagOverride,
    ServiceProxy: proxyView(s),
    ServiceConnect: {},
    CreateIndex: s.createIndex,
    ModifyIndex: s.modifyIndex,
  };
}

/** GET /v1/catalog/services: service name → union of its instances' tags. */
export function catalogServices(services: readonly ServiceRec[]): Record<string, string[]> {
  const tags = new Map<string, Set<string>>();
  for (const s of services) {
    const set = tags.get(s.name) ?? new Set<string>();
    for (const t of s.tags ?? []) set.add(t);
    tags.set(s.name, set);
  }
  return sortedObject([...tags].map(([k, v]) => [k, [...v].sort()]));
}
