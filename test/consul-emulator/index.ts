// A Consul agent emulator for tests (see README.md): a real HTTP server on
// loopback answering the parts of Consul's agent, health, catalog and status
// API that a discovery client uses. A fixture only; the product never uses it.

import { agentRoutes } from "./routes-agent.js";
import { readRoutes } from "./routes-read.js";
import { HttpFront, type LoggedRequest } from "./server.js";
import { AgentState } from "./state.js";
import { decodeCheck, decodeService, type CheckStatus } from "./decode.js";
import { agentService, healthCheck, sortedObject } from "./views.js";

export type { CheckStatus } from "./decode.js";
export type { LoggedRequest } from "./server.js";

export interface ConsulEmulatorOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** 0 (default) lets the kernel choose; restarts reuse the chosen port. */
  port?: number;
  /** Enables ACLs (default policy deny) with this as the one management token. */
  aclToken?: string;
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
  /** Listens again on the same port after stop(); state is kept. */
  start(): Promise<void>;
  /** Refuses connections and cuts open ones (an agent outage); state is kept. */
  stop(): Promise<void>;
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
  /** false: catalog and health reads answer 500 "No cluster leader", agent endpoints still work. */
  setLeader(known: boolean): void;
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
  let front: HttpFront | undefined;
  const log: LoggedRequest[] = [];
  let port = opts.port ?? 0;
  let closed = false;

  const start = async (): Promise<void> => {
    if (closed) throw new Error("consul emulator: closed");
    if (front?.listening) return;
    const f = new HttpFront({ state, routes: [...agentRoutes, ...readRoutes], aclToken: opts.aclToken, datacenter, log });
    port = await f.listen(host, port);
    front = f;
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
    services: () => sortedObject([...state.services].map(([k, s]) => [k, agentService(s, datacenter)])),
    checks: () => sortedObject([...state.checks].map(([k, c]) => [k, healthCheck(c, node, true)])),
  };
}
