// What a route handler gets and returns, and the query-meta headers that
// Consul's catalog and health endpoints send (X-Consul-Index, KnownLeader,
// LastContact, Effective-Consistency).

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authorizer } from "./acl.js";
import type { BlockingContext } from "./blocking.js";
import { HttpError } from "./decode.js";

export interface Ctx extends BlockingContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The decoded path after the route's prefix (a service ID, a name…). */
  rest: string;
  datacenter: string;
  body(): Promise<string>;
  /** Resolves the request's token; throws 403 "ACL not found" for an unknown one. */
  authz(): Authorizer;
}

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface Route {
  path: string;
  /** A trailing-slash pattern matches everything under it, as Go's ServeMux does. */
  prefix: boolean;
  methods: readonly string[];
  handle(ctx: Ctx): Promise<Reply> | Reply;
}

export function route(path: string, methods: readonly string[], handle: Route["handle"]): Route {
  return { path, prefix: path.endsWith("/"), methods, handle };
}

/**
 * Checks what Consul checks before an RPC-backed read (?stale with
 * ?consistent, a foreign ?dc, a cluster without leader) and returns the
 * headers of a successful answer at `index`.
 */
export function readPreamble(ctx: Ctx): (index: number) => Record<string, string> {
  const stale = ctx.query.has("stale");
  const consistent = ctx.query.has("consistent");
  if (stale && consistent) throw new HttpError(400, "Cannot specify ?stale with ?consistent, conflicting semantics.");
  const dc = ctx.query.get("dc");
  if (dc && dc !== ctx.datacenter) throw new HttpError(500, "No path to datacenter");
  if (!ctx.state.knownLeader) throw new HttpError(500, "No cluster leader");
  const level = consistent ? "consistent" : stale ? "stale" : "leader";
  return (index) => ({
    "X-Consul-Effective-Consistency": level,
    "X-Consul-Index": String(Math.max(index, 1)),
    "X-Consul-Knownleader": "true",
    "X-Consul-Lastcontact": "0",
  });
}
