// GET /metrics (Prometheus text) and GET /status (JSON), when `http.listen`
// is set, on the runtime's endpoint server. Read-only: nothing a client sends
// reaches the RIB or ExaBGP. A SIGHUP may move or remove the endpoint.

import type { HostPort, Logger } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import { EndpointServer, metricsReply, RouteTable } from "@exacast/runtime";

export interface EndpointSources {
  metrics(): string;
  status(): unknown;
  /** The status page (HTML). */
  page(): string;
}

export interface HttpConfig {
  readonly listen: HostPort;
  readonly token: string | null;
}

/** The listener's routes. */
export function listenerRoutes(src: EndpointSources): RouteTable {
  return new RouteTable()
    .get("/metrics", "metrics", () => metricsReply(src.metrics()))
    .get("/status", "status", () => ({ status: 200, json: src.status() }))
    .get("/", "page", () => ({ status: 200, text: src.page(), type: "text/html; charset=utf-8" }));
}

export class Endpoint {
  private server: EndpointServer | undefined;
  private serving: HttpConfig | undefined;
  private readonly routes: RouteTable;

  constructor(
    src: EndpointSources,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    this.routes = listenerRoutes(src);
  }

  /** Serve on `at` (undefined: not at all); a change of address or token restarts the server. */
  async serve(at: HttpConfig | undefined): Promise<void> {
    const s = this.serving;
    if (s?.listen.host === at?.listen.host && s?.listen.port === at?.listen.port && s?.token === at?.token) return;
    await this.server?.stop();
    this.server = undefined;
    this.serving = at;
    if (!at) return;
    this.server = new EndpointServer({ listen: at.listen, token: at.token, errors: "text", clock: this.clock }, this.routes, this.log);
    await this.server.start();
  }
}
