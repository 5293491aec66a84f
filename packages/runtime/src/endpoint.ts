// The one HTTP server of both programs (node:http is served from here only):
// a RouteTable behind an optional bearer token, request bodies capped (413),
// replies as JSON or text, and a listen that never gives up: when ExaBGP
// respawns a program, the old process may hold the port for a moment, and
// neither the health checks nor the renders may wait for it (nor die of it).
// Failed binds are retried with a growing back-off, logged the first time.

import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { HostPort, Logger } from "@exacast/core";
import { authChallenge } from "@exacast/core";
import { Backoff } from "./backoff.js";
import type { Clock, TimerHandle } from "./clock.js";
import { realClock } from "./clock.js";
import type { EndpointReply, RouteTable } from "./routes.js";
import { authorized, tokenDigest } from "./routes.js";

export const MAX_BODY = 64 * 1024;
export const RETRY_FIRST_MS = 250;
export const RETRY_MAX_MS = 5000;

export interface EndpointOptions {
  readonly listen: HostPort;
  /** Every request must carry it (`Authorization: Bearer …`), else 401. */
  readonly token: string | null;
  readonly maxBody?: number;
  /** How the server's own refusals (401, 404, 405, 413, 500) are written: JSON `{error}` or a line of text. */
  readonly errors?: "json" | "text";
  /** After each reply, for metrics: the route's name and the status. */
  readonly onReply?: (route: string, status: number) => void;
  readonly clock?: Clock;
}

const address = (a: HostPort) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

export class EndpointServer {
  private server: Server | null = null;
  private timer: TimerHandle = null;
  private stopped = false;
  private readonly token: Buffer | null;
  private readonly clock: Clock;

  constructor(
    private readonly opts: EndpointOptions,
    readonly routes: RouteTable,
    private readonly log: Logger,
  ) {
    this.token = opts.token === null ? null : tokenDigest(opts.token);
    this.clock = opts.clock ?? realClock;
  }

  /** Resolves once listening (true), or after the first attempt failed (false): it keeps retrying on its own. */
  start(): Promise<boolean> {
    const backoff = new Backoff(RETRY_FIRST_MS, RETRY_MAX_MS);
    const attempt = async (): Promise<boolean> => {
      if (this.stopped) return false;
      try {
        this.server = await this.listen();
        this.log.info("http_listening", { address: address(this.opts.listen), auth: this.token ? "bearer" : "none", ...(backoff.count > 0 ? { attempts: backoff.count + 1 } : {}) });
        return true;
      } catch (e) {
        const retryMs = backoff.next();
        if (backoff.count === 1) this.log.error("http_listen_failed", { address: address(this.opts.listen), error: (e as Error).message, retry_ms: retryMs, note: "retrying with back-off" });
        this.timer = this.clock.setTimeout(() => void attempt(), retryMs, { background: true });
        return false;
      }
    };
    return attempt();
  }

  /** Where it listens (the port the kernel chose for port 0), or null before it does. */
  get address(): HostPort | null {
    const a = this.server?.address();
    return a && typeof a === "object" ? { host: a.address, port: a.port } : null;
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    const s = this.server;
    this.server = null;
    if (!s) return Promise.resolve();
    return new Promise((done) => {
      s.close(() => done());
      s.closeAllConnections();
    });
  }

  private listen(): Promise<Server> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.maxConnections = 512;
    return new Promise((ok, fail) => {
      server.once("error", fail);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => {
        server.off("error", fail);
        server.on("error", (e) => this.log.error("http_error", { error: e.message }));
        ok(server);
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const send = (name: string, r: EndpointReply) => {
      write(res, r, method === "HEAD");
      this.opts.onReply?.(name, r.status);
    };
    const refuse = (name: string, status: number, error: string, extra: { problems?: readonly string[]; headers?: Record<string, string> } = {}) =>
      send(name, this.errorReply(status, error, extra.problems, extra.headers));
    try {
      if (this.token && !authorized(req.headers.authorization, this.token)) {
        // The body, unread, is read and dropped by Node after the reply: the client gets its answer, not a reset.
        // A browser asking for the page gets Basic, so it prompts for the token.
        const page = (req.url ?? "/").split("?")[0] === "/";
        return refuse("unauthorized", 401, "unauthorized: send Authorization: Bearer <token>", { headers: { "WWW-Authenticate": authChallenge(page) } });
      }
      const r = this.routes.resolve(method, req.url ?? "/");
      if (r.kind === "reply") {
        req.resume();
        return refuse(r.name, r.status, r.error, { ...(r.problems ? { problems: r.problems } : {}), ...(r.allow ? { headers: { Allow: r.allow } } : {}) });
      }
      let body = "";
      if (r.route.body) {
        const b = await readBody(req, this.opts.maxBody ?? MAX_BODY);
        if ("status" in b) return refuse(r.route.name, b.status, b.error);
        body = b.text;
      } else req.resume();
      send(r.route.name, r.route.handle({ ...r.request, body }));
    } catch (e) {
      this.log.error("http_internal_error", { method, error: (e as Error).message });
      if (!res.headersSent) refuse("other", 500, "internal error");
    }
  }

  private errorReply(status: number, error: string, problems?: readonly string[], headers?: Record<string, string>): EndpointReply {
    const base = this.opts.errors === "text" ? { text: `${[error, ...(problems ?? [])].join("\n")}\n`, type: "text/plain; charset=utf-8" } : { json: { error, ...(problems ? { problems } : {}) } };
    return { status, ...base, ...(headers ? { headers } : {}) };
  }
}

function write(res: ServerResponse, r: EndpointReply, head: boolean): void {
  const text = r.text ?? (r.json === undefined ? "" : JSON.stringify(r.json, null, 2) + "\n");
  const type = r.type ?? (r.text !== undefined ? "text/plain; charset=utf-8" : "application/json; charset=utf-8");
  res.writeHead(r.status, {
    ...(r.status === 204 ? {} : { "Content-Type": type, "Content-Length": String(Buffer.byteLength(text)) }),
    "Cache-Control": "no-store",
    ...r.headers,
  });
  res.end(r.status === 204 || head ? undefined : text);
}

/** The request body as UTF-8 text, or the status that refuses it. */
function readBody(req: IncomingMessage, max: number): Promise<{ text: string } | { status: number; error: string }> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > max) return Promise.resolve({ status: 413, error: `request body over ${max} bytes` });
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        done({ status: 413, error: `request body over ${max} bytes` });
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (over) return;
      try {
        done({ text: new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks)) });
      } catch {
        done({ status: 400, error: "request body is not UTF-8" });
      }
    });
    req.on("error", () => !over && done({ status: 400, error: "request body not received" }));
  });
}
