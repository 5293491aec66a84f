// GET /metrics (Prometheus text) and GET /status (JSON), when `http.listen`
// is set. Read-only: nothing a client sends reaches the RIB or ExaBGP.

import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { HostPort } from "@exacast/core";
import { METRICS_CONTENT_TYPE } from "@exacast/core";

export interface HttpHandlers {
  metrics(): string;
  status(): unknown;
  /** The status page (HTML). */
  page(): string;
}

const ROUTES: Record<string, (h: HttpHandlers) => { type: string; body: string }> = {
  "/metrics": (h) => ({ type: METRICS_CONTENT_TYPE, body: h.metrics() }),
  "/": (h) => ({ type: "text/html; charset=utf-8", body: h.page() }),
  "/status": (h) => ({ type: "application/json; charset=utf-8", body: JSON.stringify(h.status(), null, 2) + "\n" }),
};

function reply(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}, head = false): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store", ...extra });
  res.end(head ? undefined : body);
}

export function handle(h: HttpHandlers, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0]!;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (route === undefined) return reply(res, 404, "text/plain; charset=utf-8", "not found: try /metrics or /status\n");
  if (req.method !== "GET" && req.method !== "HEAD") {
    return reply(res, 405, "text/plain; charset=utf-8", "method not allowed: use GET\n", { Allow: "GET, HEAD" });
  }
  try {
    const r = route(h);
    reply(res, 200, r.type, r.body, {}, req.method === "HEAD");
  } catch (e) {
    reply(res, 500, "text/plain; charset=utf-8", `internal error: ${(e as Error).message}\n`);
  }
}

/** Listen on `at`; rejects if the address cannot be bound. */
export function startHttp(at: HostPort, h: HttpHandlers): Promise<Server> {
  const server = createServer((req, res) => {
    // A request body is never read: drain it so the connection can be reused.
    req.resume();
    handle(h, req, res);
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => {
      server.off("error", reject);
      server.on("error", () => {});
      resolve(server);
    });
  });
}

export function stopHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
