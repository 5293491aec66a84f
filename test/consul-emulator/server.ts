// The HTTP side: routing like Go's ServeMux (exact paths, then the longest
// trailing-slash prefix), 405 with an Allow header for a wrong method, an
// empty 404 for an unknown path, plain-text error bodies, JSON answers with
// Content-Type application/json, `?pretty`, and the headers every Consul
// response carries. Sockets are tracked so stop() cuts blocking queries too.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Authorizer, requestToken, type TokenRecord, type TokenSource } from "./acl.js";
import type { Ctx, Reply, Route } from "./context.js";
import { HttpError } from "./decode.js";
import type { AgentState } from "./state.js";

const MAX_BODY = 1 << 20;

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  token: string;
  tokenSource: TokenSource;
  status: number;
  ms: number;
  /** Date.now() when it was answered. */
  at: number;
}

export interface HttpOptions {
  state: AgentState;
  routes: Route[];
  /** The ACL tokens by secret; null: ACLs off. */
  tokens: ReadonlyMap<string, TokenRecord> | null;
  datacenter: string;
  rpcHoldMs: number;
  /** Shared across restarts; trimmed to the last 5000 entries. */
  log: LoggedRequest[];
}

function match(routes: Route[], path: string): { route: Route; rest: string } | undefined {
  const exact = routes.find((r) => !r.prefix && r.path === path);
  if (exact) return { route: exact, rest: "" };
  let best: Route | undefined;
  for (const r of routes) if (r.prefix && path.startsWith(r.path) && (!best || r.path.length > best.path.length)) best = r;
  return best && { route: best, rest: path.slice(best.path.length) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new HttpError(413, "Request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export class HttpFront {
  parkedCount = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly aborts = new Set<AbortController>();

  constructor(private readonly opts: HttpOptions) {}

  /** Listens on host:port (0 picks one); returns the port. */
  listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => void this.serve(req, res));
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const addr = server.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  /** Closes the listener and every connection, hanging blocking queries included. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const a of this.aborts) a.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "http://consul");
    const query = url.searchParams;
    const { token, source } = requestToken(req, query);
    const aborter = new AbortController();
    this.aborts.add(aborter);
    res.on("close", () => {
      aborter.abort();
      this.aborts.delete(aborter);
    });
    let reply: Reply;
    try {
      reply = await this.dispatch(req, res, url, aborter.signal);
    } catch (e) {
      reply = e instanceof HttpError ? { status: e.status, text: e.message } : { status: 500, text: String((e as Error).message ?? e) };
    }
    const log = this.opts.log;
    log.push({ method: req.method ?? "", path: url.pathname, query: url.search, token, tokenSource: source, status: reply.status ?? 200, ms: Date.now() - started, at: Date.now() });
    if (log.length > 5000) log.splice(0, log.length - 5000);
    if (res.destroyed || res.headersSent) return;
    this.write(res, reply, query.has("pretty"));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, signal: AbortSignal): Promise<Reply> {
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpError(400, "Invalid URL path");
    }
    const found = match(this.opts.routes, path);
    if (!found) return { status: 404 };
    const { route, rest } = found;
    const method = req.method ?? "GET";
    const allow = ["OPTIONS", ...route.methods].join(",");
    if (method === "OPTIONS") return { headers: { Allow: allow } };
    if (!route.methods.includes(method)) return { status: 405, text: `method ${method} not allowed`, headers: { Allow: allow } };
    const { state, tokens, datacenter, rpcHoldMs } = this.opts;
    let authz: Authorizer | undefined;
    const ctx: Ctx = {
      req, res, rest, state, datacenter, signal, rpcHoldMs,
      query: url.searchParams,
      body: () => readBody(req),
      authz: () => (authz ??= Authorizer.resolve(tokens, requestToken(req, url.searchParams).token)),
      parked: (d) => {
        this.parkedCount += d;
      },
    };
    return route.handle(ctx);
  }

  private write(res: ServerResponse, reply: Reply, pretty: boolean): void {
    res.statusCode = reply.status ?? 200;
    res.setHeader("X-Consul-Default-Acl-Policy", this.opts.tokens === null ? "allow" : "deny");
    res.setHeader("Vary", "Accept-Encoding");
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.json !== undefined) {
      res.setHeader("Content-Type", "application/json");
      res.end(pretty ? `${JSON.stringify(reply.json, null, 4)}\n` : JSON.stringify(reply.json));
    } else if (reply.text !== undefined) {
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(reply.text);
    } else {
      res.end();
    }
  }
}
