// The HTTP API's routes on the runtime's endpoint server (which does the
// sockets, the bearer token and the body limit); the backend does the work.
//
//   GET    /v1/apps              every app: source, state, last check results
//   GET    /v1/apps/{name}       one app
//   PUT    /v1/apps/{name}       body: one app as in the config (JSON) → 201 / 200
//   DELETE /v1/apps/{name}       → 204
//   POST   /v1/checks            run every app's checks now → 202
//   GET    /register?name=&vip=&monitor=…    GoCast
//   GET    /unregister?name=                 GoCast
//   GET    /info                 GoCast: the BGP peer, as GoBGP's api.Peer
//   GET    /metrics              Prometheus text
//   GET    /status               JSON
//   GET    /                     the status page (HTML)

import type { EndpointReply } from "@exacast/runtime";
import { metricsReply, RouteTable } from "@exacast/runtime";
import type { Reply } from "./http-apps.js";

export interface ApiBackend {
  apps(): unknown;
  app(name: string): unknown;
  put(name: string, body: string): Reply;
  remove(name: string): Reply;
  register(query: URLSearchParams): Reply;
  unregister(query: URLSearchParams): Reply;
  /** GoCast's /info answer (null: no peer yet). */
  info(): unknown;
  /** Run every app's checks now; the number of apps. */
  checkAll(): number;
  metrics(): string;
  status(): unknown;
  /** The status page (HTML). */
  page(): string;
  /** The announcer is stopping: changes are refused (503). */
  readonly stopping: boolean;
}

const GOCAST_METHODS = ["GET", "POST", "PUT"];

const STOPPING: EndpointReply = { status: 503, json: { error: "the announcer is stopping" } };

export function apiRoutes(b: ApiBackend): RouteTable {
  // A change while stopping would announce nothing: say so rather than accept it.
  const change = (run: () => Reply) => (): EndpointReply => (b.stopping ? STOPPING : run());
  return (
    new RouteTable()
      .get("/v1/apps", "apps", () => ({ status: 200, json: { apps: b.apps() } }))
      // Accepted, not done: the results come through the FSM (GET /v1/apps shows them).
      .on("POST", "/v1/checks", "checks", () => (b.stopping ? STOPPING : { status: 202, json: { checking: b.checkAll() } }))
      // GoCast clients use GET; a GET that changes state is GoCast's design, kept for compatibility.
      // GoCast's handlers take any method and read only the query: the ones clients send are taken too.
      .on(GOCAST_METHODS, "/register", "register", (r) => change(() => b.register(r.query))())
      .on([...GOCAST_METHODS, "DELETE"], "/unregister", "unregister", (r) => change(() => b.unregister(r.query))())
      // Compact JSON and a newline, as Go's json.Encoder writes it.
      .get("/info", "info", () => ({ status: 200, text: `${JSON.stringify(b.info())}\n`, type: "application/json" }))
      .get("/metrics", "metrics", () => metricsReply(b.metrics()))
      .get("/status", "status", () => ({ status: 200, json: b.status() }))
      .get("/", "page", () => ({ status: 200, text: b.page(), type: "text/html; charset=utf-8" }))
      .get("/v1/apps/:name", "app", (r) => {
        const app = b.app(r.params.name!);
        return app === undefined ? { status: 404, json: { error: `no app named ${r.params.name}` } } : { status: 200, json: app };
      })
      .on("PUT", "/v1/apps/:name", "app", (r) => change(() => b.put(r.params.name!, r.body))(), { body: true })
      .on("DELETE", "/v1/apps/:name", "app", (r) => change(() => b.remove(r.params.name!))())
  );
}
