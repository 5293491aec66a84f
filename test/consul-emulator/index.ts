// A Consul agent emulator for tests (see README.md): a real HTTP server on
// loopback answering the parts of Consul's agent, health, catalog and status
// API that a discovery client uses. A fixture only; the product never uses it.

import { tokenRecord, type TokenRecord, type TokenSpec } from "./acl.js";
import { decodeCheck, decodeService, type CheckStatus } from "./decode.js";
import { antiEntropy, catalogSetTags, join, leave, restartAgent, rewindIndex } from "./lifecycle.js";
import { nodeMaintenance, serviceMaintenance } from "./maintenance.js";
import { agentRoutes } from "./routes-agent.js";
import { readRoutes } from "./routes-read.js";
import { writeRoutes } from "./routes-write.js";
import { HttpFront, type LoggedRequest } from "./server.js";
import { AgentState } from "./state.js";
import { agentService, healthCheck, sortedObject } from "./views.js";

export type { Access, Rules, TokenSpec } from "./acl.js";
export type { CheckStatus } from "./decode.js";
export type { LoggedRequest } from "./server.js";

export interface ConsulEmulatorOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** 0 (default) lets the kernel choose; restarts reuse the chosen port. */
  port?: number;
  /** Enables ACLs (default policy deny) with this as a management token. */
  aclToken?: string;
  /** More tokens by secret (enables ACLs too): rules, node and service identities. */
  aclTokens?: Record<string, TokenSpec>;
  /** rpc_hold_timeout: how long a non-stale read waits for a leader (default 7 s, Consul's). */
  rpcHoldTimeoutMs?: number;
  /** Node name (default "node1"). */
  node?: string;
  /** Datacenter (default "dc1"). */
  datacenter?: string;
  /** List the server's own "consul" service in the catalog, as a dev agent does (default true). */
  consulService?: boolean;
}

/** The JSON body of PUT /v1/agent/service/register (Name, ID, Tags, Port, Address, Meta, Check, Checks…). */
export type ServiceRegistration = Record<string, unknown>;

export interface ConsulEmulator {
  readonly host: string;
  readonly port: number;
  /** "host:port", what a Consul client calls the agent address. */
  readonly address: string;
  /** "http://host:port". */
  readonly url: string;
  readonly node: string;
  readonly datacenter: string;
  /** The Raft-like index of the last write. */
  readonly index: number;
  /** Requests currently hanging in a blocking query. */
  readonly blockedQueries: number;
  /** Every request served (bounded), oldest first: method, path, query, token, status. */
  readonly requests: readonly LoggedRequest[];
  /**
   * Listens again on the same port after stop(): the agent process restarted.
   * Its services are kept (persisted), non-TTL checks restart at their
   * initial status (critical) with no output until they run again
   * (setCheckStatus), and a node that left joins again unless `rejoin: false`.
   */
  start(opts?: { rejoin?: boolean }): Promise<void>;
  /** Refuses connections and cuts open ones (an agent outage, or the process gone); the catalog is untouched. */
  stop(): Promise<void>;
  /** A graceful leave (`consul leave`, SIGTERM on a client agent): the servers delete the node, its services and checks. */
  leave(): void;
  /** The node joins the cluster again (see start). */
  join(): void;
  /** stop() for good and drop TTL timers. */
  close(): Promise<void>;
  /** As PUT /v1/agent/service/register; throws the agent's 400/404 message on bad input. */
  registerService(def: ServiceRegistration, opts?: { replaceExistingChecks?: boolean }): void;
  deregisterService(id: string): void;
  /** As PUT /v1/agent/check/register (Name, ID, ServiceID, TTL…). */
  registerCheck(def: Record<string, unknown>): void;
  deregisterCheck(id: string): void;
  /** Sets any check's status (TTL or not, and "serfHealth" for the node itself). */
  setCheckStatus(id: string, status: CheckStatus, output?: string): void;
  /**
   * false: the cluster loses its leader. ?stale reads answer what the servers
   * had (KnownLeader false); other catalog and health reads wait up to
   * rpcHoldTimeoutMs (+ wait + wait/16 when blocking) for a leader, then
   * answer 500 "No cluster leader". Agent endpoints keep working; the agent's
   * changes reach the catalog when a leader is back.
   */
  setLeader(known: boolean): void;
  /** Adds, replaces or (null) deletes an ACL token; it takes effect at once. */
  setToken(secret: string, spec: TokenSpec | null): void;
  /** A snapshot restore on the servers: indexes go back to at most `to`; blocked queries answer at once. */
  rewindIndex(to: number): void;
  /** PUT /v1/agent/maintenance: `_node_maintenance`, critical, the reason in Notes. */
  nodeMaintenance(enable: boolean, reason?: string): void;
  /** PUT /v1/agent/service/maintenance/:id: `_service_maintenance:<id>`. */
  serviceMaintenance(serviceId: string, enable: boolean, reason?: string): void;
  /** Another client's PUT /v1/catalog/register changing a service's tags (kept with EnableTagOverride). */
  catalogSetTags(serviceId: string, tags: string[] | null): void;
  /** The agent's anti-entropy sync: catalog tags written by others are replaced by the agent's (without EnableTagOverride). */
  antiEntropy(): void;
  /** Snapshots as GET /v1/agent/services and /v1/agent/checks show them. */
  services(): Record<string, Record<string, unknown>>;
  checks(): Record<string, Record<string, unknown>>;
}

function unwrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as { status?: number; message: string };
    throw new Error(err.status ? `consul emulator: ${err.status} ${err.message}` : err.message);
  }
}

export async function startConsulEmulator(opts: ConsulEmulatorOptions = {}): Promise<ConsulEmulator> {
  const host = opts.host ?? "127.0.0.1";
  const node = opts.node ?? "node1";
  const datacenter = opts.datacenter ?? "dc1";
  const state = new AgentState(node, datacenter, host, opts.consulService ?? true);
  const acl = opts.aclToken !== undefined || opts.aclTokens !== undefined;
  const tokens: Map<string, TokenRecord> | null = acl ? new Map() : null;
  if (opts.aclToken !== undefined) tokens!.set(opts.aclToken, tokenRecord({ management: true }));
  for (const [secret, spec] of Object.entries(opts.aclTokens ?? {})) tokens!.set(secret, tokenRecord(spec));
  let front: HttpFront | undefined;
  const log: LoggedRequest[] = [];
  let port = opts.port ?? 0;
  let closed = false;
  let started = false;

  const start = async (o: { rejoin?: boolean } = {}): Promise<void> => {
    if (closed) throw new Error("consul emulator: closed");
    if (front?.listening) return;
    const f = new HttpFront({ state, routes: [...agentRoutes, ...readRoutes, ...writeRoutes], tokens, datacenter, log, rpcHoldMs: opts.rpcHoldTimeoutMs ?? 7000 });
    port = await f.listen(host, port);
    front = f;
    if (started) restartAgent(state);
    started = true;
    if (o.rejoin !== false) join(state);
  };
  const stop = async (): Promise<void> => {
    await front?.close();
  };
  await start();

  const address = () => `${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    host,
    get port() {
      return port;
    },
    get address() {
      return address();
    },
    get url() {
      return `http://${address()}`;
    },
    node,
    datacenter,
    get index() {
      return state.index;
    },
    get blockedQueries() {
      return front?.parkedCount ?? 0;
    },
    requests: log,
    start,
    stop,
    async close() {
      closed = true;
      await stop();
      state.close();
    },
    registerService: (def, o) => unwrap(() => state.registerService(decodeService(def), o?.replaceExistingChecks ?? false)),
    deregisterService: (id) => unwrap(() => state.deregisterService(id)),
    registerCheck: (def) =>
      unwrap(() => {
        const c = decodeCheck(def, "CheckDefinition", true);
        if (c.name === "") throw new Error("Missing check name");
        state.registerCheck(c);
      }),
    deregisterCheck: (id) => unwrap(() => state.deregisterCheck(id)),
    setCheckStatus: (id, status, output) => state.forceStatus(id, status, output),
    setLeader: (known) => state.setKnownLeader(known),
    leave: () => leave(state),
    join: () => join(state),
    setToken(secret, spec) {
      if (tokens === null) throw new Error("consul emulator: ACLs are off (start it with aclToken or aclTokens)");
      if (spec === null) tokens.delete(secret);
      else tokens.set(secret, { ...tokenRecord(spec), accessor: tokens.get(secret)?.accessor ?? tokenRecord(spec).accessor });
    },
    rewindIndex: (to) => rewindIndex(state, to),
    nodeMaintenance: (enable, reason) => nodeMaintenance(state, enable, reason),
    serviceMaintenance: (id, enable, reason) => unwrap(() => serviceMaintenance(state, id, enable, reason)),
    catalogSetTags: (id, tags) => unwrap(() => catalogSetTags(state, id, tags)),
    antiEntropy: () => antiEntropy(state),
    services: () => sortedObject([...state.services].map(([k, s]) => [k, agentService(s, datacenter)])),
    checks: () => sortedObject([...state.checks].map(([k, c]) => [k, healthCheck(c, node, true)])),
  };
}
