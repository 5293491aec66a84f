// The HTTP API's routes: which method and path do what, and whether the
// request body is read at all. Pure: the server (http-server.ts) does the
// sockets, authentication and body limits; the backend does the work.
//
//   GET    /v1/apps              every app: source, state, last check results
//   GET    /v1/apps/{name}       one app
//   PUT    /v1/apps/{name}       body: one app as in the config (JSON) → 201 / 200
//   DELETE /v1/apps/{name}       → 204
//   GET    /register?name=&vip=&monitor=…    GoCast
//   GET    /unregister?name=                 GoCast
//   GET    /metrics              Prometheus text
//   GET    /status               JSON
//   GET    /                     the status page (HTML)

import type { Reply } from "./http-apps.js";

export interface ApiBackend {
  apps(): unknown;
  app(name: string): unknown;
  put(name: string, body: string): Reply;
  remove(name: string): Reply;
  register(query: URLSearchParams): Reply;
  unregister(query: URLSearchParams): Reply;
  metrics(): string;
  status(): unknown;
  /** The status page (HTML). */
  page(): string;
  /** The announcer is stopping: changes are refused (503). */
  readonly stopping: boolean;
}

/** What the server runs for a request; `text` replies are sent as they are (metrics). */
export interface Route {
  /** For metrics labels: a fixed set. */
  readonly name: string;
  readonly needsBody: boolean;
  run(body: string): Reply & { readonly text?: string; readonly type?: string };
}

export type Resolved = { readonly kind: "route"; readonly route: Route } | { readonly kind: "reply"; readonly name: string; readonly reply: Reply; readonly allow?: string };

const notFound = (): Resolved => ({
  kind: "reply",
  name: "other",
  reply: { status: 404, json: { error: "not found: try /v1/apps, /register, /unregister, /metrics or /status" } },
});

const methodNotAllowed = (name: string, allow: string): Resolved => ({
  kind: "reply",
  name,
  reply: { status: 405, json: { error: `method not allowed: use ${allow}` } },
  allow,
});

const stopping = { status: 503, json: { error: "the announcer is stopping" } };

/** method + request target → a route, or the reply that refuses it. */
export function resolve(method: string, target: string, b: ApiBackend): Resolved {
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : target.slice(q + 1));
  const read = method === "GET" || method === "HEAD";
  const route = (name: string, allow: string, ok: boolean, run: Route["run"], needsBody = false): Resolved =>
    ok ? { kind: "route", route: { name, needsBody, run } } : methodNotAllowed(name, allow);

  switch (path) {
    case "/v1/apps":
    case "/v1/apps/":
      return route("apps", "GET", read, () => ({ status: 200, json: { apps: b.apps() } }));
    case "/metrics":
      return route("metrics", "GET", read, () => ({ status: 200, text: b.metrics() }));
    case "/":
      return route("page", "GET", read, () => ({ status: 200, text: b.page(), type: "text/html; charset=utf-8" }));
    case "/status":
      return route("status", "GET", read, () => ({ status: 200, json: b.status() }));
    case "/register":
      // GoCast clients use GET; a GET that changes state is GoCast's design, kept for compatibility.
      return route("register", "GET, POST", method === "GET" || method === "POST", () => (b.stopping ? stopping : b.register(query)));
    case "/unregister":
      return route("unregister", "GET, POST", method === "GET" || method === "POST", () => (b.stopping ? stopping : b.unregister(query)));
  }
  const m = /^\/v1\/apps\/([^/]+)$/.exec(path);
  if (!m) return notFound();
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    return { kind: "reply", name: "app", reply: { status: 400, json: { error: "invalid request", problems: ["name: invalid percent-encoding in the URL"] } } };
  }
  switch (method) {
    case "GET":
    case "HEAD":
      return route("app", "", true, () => {
        const app = b.app(name);
        return app === undefined ? { status: 404, json: { error: `no app named ${name}` } } : { status: 200, json: app };
      });
    case "PUT":
      return route("app", "", true, (body) => (b.stopping ? stopping : b.put(name, body)), true);
    case "DELETE":
      return route("app", "", true, () => (b.stopping ? stopping : b.remove(name)));
    default:
      return methodNotAllowed("app", "GET, PUT, DELETE");
  }
}
