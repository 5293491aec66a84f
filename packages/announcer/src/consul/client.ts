// The Consul agent's HTTP API through the `consul` npm client: the reads
// discovery needs, each answer checked for shape (Consul's answers are input
// like any other), with the blocking-query index and the query-meta headers.

import { EventEmitter } from "node:events";
import Consul from "consul";
import type { ConsulConfig } from "../config.js";
import type { ConsulService } from "./tags.js";

export interface HealthCheck {
  readonly checkId: string;
  readonly status: string;
  readonly output: string;
  /** "" for the node's own checks (serfHealth, node maintenance). */
  readonly serviceId: string;
  readonly serviceName: string;
  /** A maintenance check's reason. */
  readonly notes?: string;
}

export interface Answer<T> {
  /** X-Consul-Index: the next blocking query waits for a change past it. */
  readonly index: string | null;
  readonly body: T;
  /** X-Consul-Default-Acl-Policy (allow, deny) when ACLs are on. */
  readonly aclPolicy: string | null;
  /** X-Consul-Results-Filtered-By-ACLs: entries were hidden from this token. */
  readonly filtered: boolean;
  /** X-Consul-KnownLeader; null when absent. */
  readonly knownLeader: boolean | null;
  /** X-Consul-LastContact, ms since the answering server heard from the leader. */
  readonly lastContactMs: number | null;
}

export interface BlockingQuery {
  /** null: answer at once. */
  readonly index: string | null;
  readonly waitMs: number;
  /** ?stale: any server may answer, even without a leader. */
  readonly stale: boolean;
}

/** Whether the local agent has a service, as GET /v1/agent/service/:id tells: 404 before ACLs, then 403. */
export type LocalService = "present" | "absent" | "hidden";

export interface ConsulApi {
  /** Config.NodeName of /v1/agent/self (needs agent:read). */
  agentNodeName(): Promise<string>;
  /** The Node of the first local check the token may read (/v1/agent/checks); null when there is none. */
  localCheckNode(): Promise<string | null>;
  localService(id: string): Promise<LocalService>;
  /** The node's services; null when the node is not visible (unknown, or hidden by ACLs). */
  nodeServices(node: string, q: BlockingQuery): Promise<Answer<ConsulService[] | null>>;
  nodeChecks(node: string, q: BlockingQuery): Promise<Answer<HealthCheck[]>>;
  /** Cut every request in flight; later calls reject. */
  close(): void;
}

/**
 * How long a request may take: a client agent retries "No cluster leader"
 * for rpc_hold_timeout (7 s) on top of a blocking query's wait and its
 * wait/16 jitter (structs.QueryOptions.HasTimedOut), so a shorter limit
 * would cut answers Consul is still going to give.
 */
export const RPC_HOLD_MS = 7000;
export const TIMEOUT_MARGIN_MS = 3000;
export function requestTimeoutMs(q: BlockingQuery | null): number {
  const blocking = q !== null && q.index !== null ? q.waitMs + q.waitMs / 16 : 0;
  return Math.ceil(blocking + RPC_HOLD_MS + TIMEOUT_MARGIN_MS);
}

interface Response {
  headers: Record<string, string | string[] | undefined>;
}

const header = (r: Response, name: string): string | null => {
  const v = r.headers[name];
  return typeof v === "string" ? v : null;
};

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const MAX_TAGS = 256;

/** Consul's Services map (or list) → services, dropping entries without the fields we read. */
export function servicesOf(body: unknown): ConsulService[] | null {
  if (body === null || body === undefined || body === "") return null;
  if (typeof body !== "object") throw new Error("unexpected answer: not a JSON object");
  const services = (body as { Services?: unknown }).Services;
  if (services === null || services === undefined) return [];
  const list = Array.isArray(services) ? services : typeof services === "object" ? Object.values(services) : [];
  const out: ConsulService[] = [];
  for (const s of list as Record<string, unknown>[]) {
    if (typeof s !== "object" || s === null || typeof s.ID !== "string") continue;
    const tags = Array.isArray(s.Tags) ? s.Tags.filter((t): t is string => typeof t === "string").slice(0, MAX_TAGS) : [];
    const port = typeof s.Port === "number" && Number.isInteger(s.Port) && s.Port >= 0 && s.Port <= 65535 ? s.Port : 0;
    out.push({ id: s.ID, name: str(s.Service), tags, port, kind: str(s.Kind) });
  }
  return out;
}

export function checksOf(body: unknown): HealthCheck[] {
  if (body === null || body === undefined || body === "") return [];
  if (!Array.isArray(body)) throw new Error("unexpected answer: not a JSON array of checks");
  return (body as Record<string, unknown>[])
    .filter((c) => typeof c === "object" && c !== null && typeof c.CheckID === "string" && typeof c.Status === "string")
    .map((c) => ({ checkId: str(c.CheckID), status: str(c.Status), output: str(c.Output), serviceId: str(c.ServiceID), serviceName: str(c.ServiceName), notes: str(c.Notes) }));
}

const statusOf = (e: unknown) => (e as { statusCode?: unknown })?.statusCode;

export function createConsulApi(cfg: ConsulConfig): ConsulApi {
  const client = new Consul({
    host: cfg.address.host,
    port: cfg.address.port,
    secure: cfg.address.secure,
    ...(cfg.token ? { defaults: { token: cfg.token } } : {}),
  });
  const open = new Set<EventEmitter>();
  let closed = false;

  // One request: its own cancel context (papi's contexts are single-use), a
  // time limit past what Consul itself may take, and the response's headers.
  async function call<T>(fn: (opts: Record<string, unknown>) => Promise<unknown>, opts: Record<string, unknown>, q: BlockingQuery | null): Promise<[Response, T]> {
    if (closed) throw new Error("consul client closed");
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const blocking = q && q.index !== null ? { index: q.index, wait: `${Math.round(q.waitMs)}ms` } : {};
    open.add(ctx);
    try {
      return (await fn({ ...opts, ...blocking, ...(q?.stale ? { stale: true } : {}), ctx, timeout: requestTimeoutMs(q) })) as [Response, T];
    } finally {
      open.delete(ctx);
    }
  }

  const answer = <T>(res: Response, body: T): Answer<T> => {
    const leader = header(res, "x-consul-knownleader");
    const contact = header(res, "x-consul-lastcontact");
    return {
      index: header(res, "x-consul-index"),
      body,
      aclPolicy: header(res, "x-consul-default-acl-policy"),
      filtered: header(res, "x-consul-results-filtered-by-acls") === "true",
      knownLeader: leader === null ? null : leader === "true",
      lastContactMs: contact !== null && /^\d{1,15}$/.test(contact) ? Number(contact) : null,
    };
  };

  // papi's generic GET, for the one agent endpoint the client has no method for.
  const get = (path: string, params: Record<string, string>) => (opts: Record<string, unknown>) =>
    (client as unknown as { _get(req: unknown, next: unknown): Promise<unknown> })._get(
      { name: "exacast.get", path, params, query: {}, headers: cfg.token ? { "x-consul-token": cfg.token } : {}, ctx: opts.ctx, timeout: opts.timeout },
      (request: { err?: Error; res?: unknown }, next: (a: boolean, e?: unknown, v?: unknown) => void) =>
        request.err ? next(false, request.err) : next(false, undefined, [request.res, (request.res as { body?: unknown })?.body]),
    );

  return {
    async agentNodeName() {
      const [, self] = await call<{ Config?: { NodeName?: unknown } }>((o) => client.agent.self(o as never), {}, null);
      const name = self?.Config?.NodeName;
      if (typeof name !== "string" || name === "") throw new Error("the agent's /v1/agent/self has no Config.NodeName");
      return name;
    },
    async localCheckNode() {
      const [, checks] = await call<unknown>((o) => client.agent.check.list(o as never), {}, null);
      if (checks === null || typeof checks !== "object") return null;
      for (const c of Object.values(checks as Record<string, unknown>)) {
        const node = (c as { Node?: unknown } | null)?.Node;
        if (typeof node === "string" && node !== "") return node;
      }
      return null;
    },
    async localService(id) {
      try {
        await call<unknown>(get("/agent/service/{id}", { id }), {}, null);
        return "present";
      } catch (e) {
        if (statusOf(e) === 404) return "absent";
        if (statusOf(e) === 403) return "hidden";
        throw e;
      }
    },
    async nodeServices(node, q) {
      const [res, body] = await call<unknown>((o) => client.catalog.node.services(o as never), { node }, q);
      return answer(res, servicesOf(body));
    },
    async nodeChecks(node, q) {
      const [res, body] = await call<unknown>((o) => client.health.node(o as never), { node }, q);
      return answer(res, checksOf(body));
    },
    close() {
      closed = true;
      for (const ctx of open) ctx.emit("cancel");
      open.clear();
      client.destroy();
    },
  };
}
