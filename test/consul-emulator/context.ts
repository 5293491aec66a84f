// What a route handler gets and returns, and what Consul's catalog and health
// endpoints do before reading: consistency modes, leader loss, and the
// query-meta headers (X-Consul-Index, KnownLeader, LastContact,
// Effective-Consistency).

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authorizer } from "./acl.js";
import { parseWait, type BlockingContext } from "./blocking.js";
import { HttpError } from "./decode.js";
import { DEFAULT_WAIT_MS, MAX_WAIT_MS } from "./duration.js";

export interface Ctx extends BlockingContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The decoded path after the route's prefix (a service ID, a name…). */
  rest: string;
  datacenter: string;
  /** rpc_hold_timeout: how long a read waits for a leader before "No cluster leader". */
  rpcHoldMs: number;
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

/** The longest a server retries "No cluster leader" for one query: rpc_hold_timeout, plus the blocking timeout (structs.QueryOptions.HasTimedOut). */
function holdMs(ctx: Ctx): number {
  const { minIndex, waitMs } = parseWait(ctx.query);
  if (minIndex <= 0) return ctx.rpcHoldMs;
  let wait = waitMs ?? 0;
  if (wait <= 0) wait = DEFAULT_WAIT_MS;
  if (wait > MAX_WAIT_MS) wait = MAX_WAIT_MS;
  return ctx.rpcHoldMs + wait + wait / 16;
}

/** Resolves true as soon as the cluster has a leader, false after `ms` or when the client goes away. */
function leaderWithin(ctx: Ctx, ms: number): Promise<boolean> {
  if (ctx.state.knownLeader) return Promise.resolve(true);
  ctx.parked(1);
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      off();
      ctx.signal.removeEventListener("abort", onAbort);
      ctx.parked(-1);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(ctx.state.knownLeader), ms);
    const off = ctx.state.onChange(() => ctx.state.knownLeader && done(true));
    ctx.signal.addEventListener("abort", onAbort);
  });
}

/**
 * What Consul does before an RPC-backed read (?stale with ?consistent, a
 * foreign ?dc, no leader) and the headers of a successful answer at `index`.
 * Without a leader a ?stale read is served by a follower from what it has
 * (KnownLeader false, LastContact growing); any other read is retried by the
 * server until a leader is elected or the hold runs out, then fails with 500
 * "No cluster leader" (rpc.go forwardRequestToLeader).
 */
export async function readPreamble(ctx: Ctx): Promise<(index: number) => Record<string, string>> {
  const stale = ctx.query.has("stale");
  const consistent = ctx.query.has("consistent");
  if (stale && consistent) throw new HttpError(400, "Cannot specify ?stale with ?consistent, conflicting semantics.");
  const dc = ctx.query.get("dc");
  if (dc && dc !== ctx.datacenter) throw new HttpError(500, "No path to datacenter");
  if (!stale && !(await leaderWithin(ctx, holdMs(ctx)))) throw new HttpError(500, "No cluster leader");
  const level = consistent ? "consistent" : stale ? "stale" : "leader";
  return (index) => ({
    "X-Consul-Effective-Consistency": level,
    "X-Consul-Index": String(Math.max(index, 1)),
    "X-Consul-Knownleader": String(ctx.state.knownLeader),
    "X-Consul-Lastcontact": String(ctx.state.lastContactMs()),
  });
}
