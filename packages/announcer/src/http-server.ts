// The HTTP API's server: bearer-token authentication (compared in constant
// time), request bodies capped at 64 KiB (413), JSON replies, and a listen
// that keeps retrying: when ExaBGP respawns the announcer, the old process
// may hold the port for a moment, and the health checks of the config's apps
// must not wait for it (nor die of it).

import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { HostPort, Logger } from "@exacast/core";
import { authChallenge, credentialOf, METRICS_CONTENT_TYPE } from "@exacast/core";
import type { ApiBackend, Resolved } from "./api.js";
import { resolve } from "./api.js";

export const MAX_BODY = 64 * 1024;
const LISTEN_RETRY_MS = 1000;

export interface ApiServerOptions {
  readonly listen: HostPort;
  readonly token: string | null;
  readonly maxBody?: number;
  /** After each reply: for metrics. */
  readonly onReply?: (route: string, status: number) => void;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** `Authorization: Bearer <token>` (or Basic, for browsers) carries the token: hashed first, so neither length nor content leaks through timing. */
export function authorized(header: string | undefined, expected: Buffer): boolean {
  const token = credentialOf(header);
  return timingSafeEqual(digest(token ?? ""), expected) && token !== null;
}

function send(res: ServerResponse, status: number, body: { json?: unknown; text?: string; type?: string }, extra: Record<string, string> = {}): void {
  const text = body.text ?? (body.json === undefined ? "" : JSON.stringify(body.json, null, 2) + "\n");
  const type = body.type ?? (body.text !== undefined ? METRICS_CONTENT_TYPE : "application/json; charset=utf-8");
  res.writeHead(status, {
    ...(status === 204 ? {} : { "Content-Type": type, "Content-Length": String(Buffer.byteLength(text)) }),
    "Cache-Control": "no-store",
    ...extra,
  });
  res.end(status === 204 ? undefined : text);
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

export class ApiServer {
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly token: Buffer | null;

  constructor(
    private readonly opts: ApiServerOptions,
    private readonly backend: ApiBackend,
    private readonly log: Logger,
  ) {
    this.token = opts.token === null ? null : digest(opts.token);
  }

  /** Resolves once listening (or when the first attempt failed: it retries on its own). */
  async start(): Promise<boolean> {
    let failures = 0;
    const attempt = async (): Promise<boolean> => {
      if (this.stopped) return false;
      try {
        this.server = await this.listen();
        this.log.info("http_listening", { address: `${this.opts.listen.host}:${this.opts.listen.port}`, auth: this.token ? "bearer" : "none" });
        return true;
      } catch (e) {
        if (failures++ === 0) {
          this.log.error("http_listen_failed", { address: `${this.opts.listen.host}:${this.opts.listen.port}`, error: (e as Error).message, retry_ms: LISTEN_RETRY_MS });
        }
        this.timer = setTimeout(() => void attempt(), LISTEN_RETRY_MS);
        this.timer.unref();
        return false;
      }
    };
    return attempt();
  }

  get address(): HostPort | null {
    const a = this.server?.address();
    return a && typeof a === "object" ? { host: a.address, port: a.port } : null;
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
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
    // A body left unread (401, 413) is read and dropped by Node after the
    // reply, within requestTimeout: the client gets to read its answer
    // instead of a reset while it is still sending.
    const reply = (name: string, status: number, body: { json?: unknown; text?: string; type?: string }, extra: Record<string, string> = {}) => {
      send(res, status, body, extra);
      this.opts.onReply?.(name, status);
    };
    try {
      if (this.token && !authorized(req.headers.authorization, this.token)) {
        const page = (req.url ?? "/").split("?")[0] === "/";
        return reply("unauthorized", 401, { json: { error: "unauthorized: send Authorization: Bearer <token>" } }, { "WWW-Authenticate": authChallenge(page) });
      }
      const r: Resolved = resolve(req.method ?? "GET", req.url ?? "/", this.backend);
      if (r.kind === "reply") return reply(r.name, r.reply.status, r.reply, r.allow ? { Allow: r.allow } : {});
      let body = "";
      if (r.route.needsBody) {
        const b = await readBody(req, this.opts.maxBody ?? MAX_BODY);
        if ("status" in b) return reply(r.route.name, b.status, { json: { error: b.error } });
        body = b.text;
      }
      const out = r.route.run(body);
      reply(r.route.name, out.status, out);
    } catch (e) {
      this.log.error("http_internal_error", { method: req.method, error: (e as Error).message });
      if (!res.headersSent) reply("other", 500, { json: { error: "internal error" } });
    }
  }
}
