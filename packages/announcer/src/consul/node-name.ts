// Which Consul node this host is, when consul.node (or CONSUL_NODE) does not
// say. /v1/agent/self answers it but needs agent:read, which node- and
// service-identity tokens lack; then the name is taken from what such tokens
// may read:
//   1. /v1/agent/checks: the agent's own checks carry its node name;
//   2. the host name, Consul's default node_name, if the catalog has a node
//      by that name (GoCast does the same without checking).
// Anything but a 403 from /v1/agent/self (the agent down, a wrong token) is
// an error for the caller to retry.

import type { BlockingQuery, ConsulApi } from "./client.js";

export interface NodeName {
  readonly node: string;
  /** Where the name came from, for the log. */
  readonly from: string;
}

const status = (e: unknown) => (e as { statusCode?: unknown })?.statusCode;

export class NodeNameUnknown extends Error {}

export async function resolveNodeName(api: ConsulApi, hostname: string, q: BlockingQuery): Promise<NodeName> {
  try {
    return { node: await api.agentNodeName(), from: "/v1/agent/self" };
  } catch (e) {
    if (status(e) !== 403) throw e;
  }
  const fromChecks = await api.localCheckNode();
  if (fromChecks !== null) return { node: fromChecks, from: "/v1/agent/checks (the token lacks agent:read)" };
  if (hostname !== "" && (await api.nodeServices(hostname, q)).body !== null) {
    return { node: hostname, from: "the host name (the token lacks agent:read; the agent has no check it may read)" };
  }
  throw new NodeNameUnknown(
    "cannot tell this agent's node name: the token lacks agent:read (403 on /v1/agent/self), the agent lists no check the token may read, " +
      `and Consul has no node named as this host (${hostname || "no host name"}); set consul.node or CONSUL_NODE`,
  );
}
