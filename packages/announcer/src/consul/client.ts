// The Consul agent's HTTP API through the `consul` npm client: the three
// reads discovery needs, each answer checked for shape (Consul's answers are
// input like any other), with the blocking-query index and the ACL headers.

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
}

export interface Answer<T> {
  /** X-Consul-Index: the next blocking query waits for a change past it. */
  readonly index: string | null;
  readonly body: T;
  /** X-Consul-Default-Acl-Policy (allow, deny) when ACLs are on. */
  readonly aclPolicy: string | null;
  /** X-Consul-Results-Filtered-By-ACLs: entries were hidden from this token. */
  readonly filtered: boolean;
}

export interface BlockingQuery {
  /** null: answer at once. */
  readonly index: string | null;
  readonly waitMs: number;
}

export interface ConsulApi {
  nodeName(): Promise<string>;
  /** The node's services; null when the node is not visible (unknown, or hidden by ACLs). */
  nodeServices(node: string, q: BlockingQuery): Promise<Answer<ConsulService[] | null>>;
  nodeChecks(node: string, q: BlockingQuery): Promise<Answer<HealthCheck[]>>;
  /** Cut every request in flight; later calls reject. */
  close(): void;
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
    out.push({ id: s.ID, name: str(s.Service), tags, port });
  }
  return out;
}

export function checksOf(body: unknown): HealthCheck[] {
  if (body === null || body === undefined || body === "") return [];
  if (!Array.isArray(body)) throw new Error("unexpected answer: not a JSON array of checks");
  return (body as Record<string, unknown>[])
    .filter((c) => typeof c === "object" && c !== null && typeof c.CheckID === "string" && typeof c.Status === "string")
    .map((c) => ({ checkId: str(c.CheckID), status: str(c.Status), output: str(c.Output), serviceId: str(c.ServiceID), serviceName: str(c.ServiceName) }));
}

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
  // time limit past Consul's wait and jitter, and the response's headers.
  async function call<T>(fn: (opts: Record<string, unknown>) => Promise<unknown>, opts: Record<string, unknown>, q: BlockingQuery | null): Promise<[Response, T]> {
    if (closed) throw new Error("consul client closed");
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const blocking = q && q.index !== null ? { index: q.index, wait: `${Math.round(q.waitMs)}ms` } : {};
    const timeout = q && q.index !== null ? q.waitMs + q.waitMs / 16 + 5000 : 10_000;
    open.add(ctx);
    try {
      return (await fn({ ...opts, ...blocking, ctx, timeout })) as [Response, T];
    } finally {
      open.delete(ctx);
    }
  }

  const answer = <T>(res: Response, body: T): Answer<T> => ({
    index: header(res, "x-consul-index"),
    body,
    aclPolicy: header(res, "x-consul-default-acl-policy"),
    filtered: header(res, "x-consul-results-filtered-by-acls") === "true",
  });

  return {
    async nodeName() {
      const [, self] = await call<{ Config?: { NodeName?: unknown } }>((o) => client.agent.self(o as never), {}, null);
      const name = self?.Config?.NodeName;
      if (typeof name !== "string" || name === "") throw new Error("the agent's /v1/agent/self has no Config.NodeName");
      return name;
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
