// What the endpoint server answers, decided without sockets: a table of
// routes (method + path, `:name` for a path segment), the bearer-token rule,
// and the replies that refuse a request (401, 404, 405, 400). Both programs
// fill one table: the listener /metrics and /status, the announcer its API
// too. Adding a page is one line: `routes.get("/", "page", () => html(...))`.

import { createHash, timingSafeEqual } from "node:crypto";
import { credentialOf, METRICS_CONTENT_TYPE } from "@exacast/core";

export interface EndpointRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** `:name` segments of the route's path, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The body as UTF-8 text, for routes that read it; "" otherwise. */
  readonly body: string;
}

export interface EndpointReply {
  readonly status: number;
  /** Sent as pretty JSON; or `text` as it is, with `type` (Prometheus text by default). */
  readonly json?: unknown;
  readonly text?: string;
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: EndpointRequest) => EndpointReply;

export interface Route {
  /** For metrics labels and logs: a fixed set of names. */
  readonly name: string;
  readonly methods: readonly string[];
  /** The request body is read (up to the server's limit); other routes never read one. */
  readonly body: boolean;
  readonly handle: Handler;
}

export type Resolved =
  | { readonly kind: "route"; readonly route: Route; readonly request: Omit<EndpointRequest, "body"> }
  | { readonly kind: "reply"; readonly name: string; readonly status: number; readonly error: string; readonly problems?: readonly string[]; readonly allow?: string };

/** A reply built from text, with its content type. */
export const textReply = (status: number, text: string, type = "text/plain; charset=utf-8"): EndpointReply => ({ status, text, type });
export const metricsReply = (text: string): EndpointReply => ({ status: 200, text, type: METRICS_CONTENT_TYPE });

interface Entry {
  readonly path: string;
  readonly segments: readonly string[] | null;
  readonly routes: Route[];
}

export class RouteTable {
  private readonly entries: Entry[] = [];

  /** `methods` may be one or several; HEAD is answered wherever GET is. */
  on(methods: string | readonly string[], path: string, name: string, handle: Handler, opts: { body?: boolean } = {}): this {
    let e = this.entries.find((x) => x.path === path);
    if (!e) this.entries.push((e = { path, segments: path.includes("/:") ? path.split("/") : null, routes: [] }));
    e.routes.push({ name, methods: typeof methods === "string" ? [methods] : methods, body: opts.body ?? false, handle });
    return this;
  }

  get(path: string, name: string, handle: Handler): this {
    return this.on("GET", path, name, handle);
  }

  /** The fixed paths, for the hint of a 404. */
  get paths(): string[] {
    return this.entries.filter((e) => e.segments === null).map((e) => e.path);
  }

  resolve(method: string, target: string): Resolved {
    const q = target.indexOf("?");
    const path = q === -1 ? target : target.slice(0, q);
    const query = new URLSearchParams(q === -1 ? "" : target.slice(q + 1));
    for (const e of this.entries) {
      const params = match(e, path);
      if (params === null) continue;
      const name = e.routes[0]!.name;
      if (typeof params === "string") return { kind: "reply", name, status: 400, error: "invalid request", problems: [params] };
      const want = method === "HEAD" ? "GET" : method;
      const route = e.routes.find((r) => r.methods.includes(want) || r.methods.includes(method));
      if (route) return { kind: "route", route, request: { method, path, query, params } };
      const allow = [...new Set(e.routes.flatMap((r) => (r.methods.includes("GET") ? [...r.methods, "HEAD"] : r.methods)))];
      return { kind: "reply", name, status: 405, error: `method not allowed: use ${allow.join(", ")}`, allow: allow.join(", ") };
    }
    const paths = this.paths;
    const hint = paths.length > 1 ? `${paths.slice(0, -1).join(", ")} or ${paths[paths.length - 1]}` : (paths[0] ?? "");
    return { kind: "reply", name: "other", status: 404, error: `not found${hint ? `: try ${hint}` : ""}` };
  }
}

/** The params of `path` on the entry's pattern, a problem with them, or null when it does not match. */
function match(e: Entry, path: string): Record<string, string> | string | null {
  if (e.segments === null) return path === e.path || (path === `${e.path}/` && e.path !== "/") ? {} : null;
  const parts = path.split("/");
  if (parts.length !== e.segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const want = e.segments[i]!;
    const got = parts[i]!;
    if (!want.startsWith(":")) {
      if (want !== got) return null;
      continue;
    }
    if (got === "") return null;
    try {
      params[want.slice(1)] = decodeURIComponent(got);
    } catch {
      return `${want.slice(1)}: invalid percent-encoding in the URL`;
    }
  }
  return params;
}

/** A token as the server keeps it: hashed, so a comparison leaks neither its length nor its content. */
export const tokenDigest = (token: string): Buffer => createHash("sha256").update(token).digest();

/** `Authorization: Bearer <token>` (or Basic with the token as password, for browsers) carries the token; compared in constant time. */
export function authorized(header: string | undefined, expected: Buffer): boolean {
  const token = credentialOf(header);
  return timingSafeEqual(tokenDigest(token ?? ""), expected) && token !== null;
}
