// What happens to the agent and the cluster beyond single writes: a graceful
// leave (the leader's handleLeftMember deletes the node, its services and
// checks), a rejoin, the agent process restarting (checks start again at
// their initial status until they run; TTL check state is persisted), a
// snapshot restore on the servers (indexes go backwards), and another
// client's catalog writes against anti-entropy.

import { HttpError } from "./decode.js";
import { SERF_CHECK, type AgentState } from "./state.js";

/** A graceful leave: the servers delete the node, its services and checks. The agent keeps its own state. */
export function leave(s: AgentState): void {
  if (!s.inCatalog) return;
  s.inCatalog = false;
  s.touchAll(s.bump());
  s.changed();
}

/** The agent joins again: the leader registers the node with serfHealth passing; anti-entropy syncs the rest. */
export function join(s: AgentState): void {
  if (s.inCatalog) return;
  const at = s.bump();
  s.inCatalog = true;
  Object.assign(s.node, { createIndex: at, modifyIndex: at });
  Object.assign(s.nodeChecks.get(SERF_CHECK)!, { status: "passing", output: "Agent alive and reachable", modifyIndex: at });
  s.catalogTags.clear();
  s.touchAll(at);
  s.changed();
}

/**
 * The agent process starts again: checks restart at their initial status
 * (critical unless the definition says otherwise) with no output, until
 * they first run; TTL checks keep their persisted state.
 */
export function restartAgent(s: AgentState): void {
  let at = 0;
  for (const c of s.checks.values()) {
    if (c.type === "ttl" || (c.status === c.initial && c.output === "")) continue;
    at ||= s.bump();
    Object.assign(c, { status: c.initial, output: "", modifyIndex: at });
    s.touchCheckOwners(c, at);
  }
  if (at === 0) return;
  s.tables.checks = at;
  s.changed();
}

/** A snapshot restore on the servers: every index goes back to at most `to`, and blocked queries answer at once. */
export function rewindIndex(s: AgentState, to: number): void {
  s.counter = Math.max(1, Math.min(s.counter, to));
  const clamp = (n: number) => Math.min(n, s.counter);
  for (const k of ["nodes", "services", "checks"] as const) s.tables[k] = clamp(s.tables[k]);
  for (const [name, at] of s.byName) s.byName.set(name, clamp(at));
  s.restores++;
  s.changed();
}

/**
 * PUT /v1/catalog/register from another client, changing a service's tags.
 * With EnableTagOverride the agent adopts them; without, anti-entropy puts
 * the agent's tags back at its next sync (antiEntropy()).
 */
export function catalogSetTags(s: AgentState, serviceId: string, tags: string[] | null): void {
  const svc = s.services.get(serviceId);
  if (!svc) throw new HttpError(404, `Unknown service ID "${serviceId}"`);
  const at = s.bump();
  if (svc.enableTagOverride) Object.assign(svc, { tags, modifyIndex: at });
  else s.catalogTags.set(serviceId, tags);
  s.tables.services = at;
  s.byName.set(svc.name, at);
  s.changed();
}

/** The agent's periodic sync: the catalog gets the agent's view of its services again. */
export function antiEntropy(s: AgentState): void {
  if (s.catalogTags.size === 0 || !s.knownLeader) return;
  const at = s.bump();
  for (const id of s.catalogTags.keys()) s.byName.set(s.services.get(id)?.name ?? id, at);
  s.catalogTags.clear();
  s.tables.services = at;
  s.changed();
}
