// The /v1/health, /v1/catalog and /v1/status endpoints. Health and catalog
// reads go through the servers in Consul, so they are index-blocking and
// carry the query-meta headers; the anonymous token sees filtered (empty)
// results rather than a 403.

import { blockOnIndex } from "./blocking.js";
import { readPreamble, route, type Ctx, type Reply, type Route } from "./context.js";
import { HttpError, STATUSES, type CheckStatus } from "./decode.js";
import { parseGoBool } from "./duration.js";
import { compileFilter } from "./filter.js";
import type { ServiceRec } from "./state.js";
import { catalogServiceNode, catalogServices, healthCheck, healthEntry, nodeService, nodeView, sortedObject } from "./views.js";

const GET = ["GET"] as const;

/** A blocking read: preamble, then block on `index()`, then filter by ACL and ?filter=. */
async function read<T>(ctx: Ctx, index: () => number, compute: () => T[], empty: T[] = []): Promise<Reply> {
  const meta = readPreamble(ctx);
  const authz = ctx.authz();
  const keep = compileFilter(ctx.query.get("filter") ?? "");
  const r = await blockOnIndex(ctx, () => ({ index: index(), body: compute() }));
  const body = authz.canRead ? r.body.filter((x) => keep(x)) : empty;
  return { json: body, headers: meta(r.index) };
}

function name(ctx: Ctx, what: string): string {
  if (ctx.rest === "") throw new HttpError(400, `Missing ${what}`);
  return ctx.rest;
}

function hasTags(s: ServiceRec, ctx: Ctx): boolean {
  const wanted = ctx.query.getAll("tag");
  return wanted.every((t) => (s.tags ?? []).includes(t));
}

function healthService(ctx: Ctx): Promise<Reply> {
  const svc = name(ctx, "service name");
  let passing = false;
  if (ctx.query.has("passing")) {
    const v = ctx.query.get("passing") ?? "";
    const b = v === "" ? true : parseGoBool(v);
    if (b === undefined) throw new HttpError(400, "Invalid value for ?passing");
    passing = b;
  }
  return read(ctx, () => ctx.state.serviceIndex(svc), () =>
    ctx.state
      .allServices()
      .filter((s) => s.name === svc && hasTags(s, ctx))
      .map((s) => healthEntry(ctx.state, s))
      .filter((e) => !passing || (e.Checks as { Status: string }[]).every((c) => c.Status === "passing")),
  );
}

function healthChecks(ctx: Ctx): Promise<Reply> {
  const svc = name(ctx, "service name");
  return read(ctx, () => ctx.state.checksIndex(), () =>
    ctx.state.allChecks().filter((c) => c.serviceName === svc).map((c) => healthCheck(c, ctx.state.node.name)),
  );
}

function healthNode(ctx: Ctx): Promise<Reply> {
  const node = name(ctx, "node name");
  return read(ctx, () => ctx.state.checksIndex(), () =>
    node === ctx.state.node.name || node === ctx.state.node.id ? ctx.state.allChecks().map((c) => healthCheck(c, ctx.state.node.name)) : [],
  );
}

function healthState(ctx: Ctx): Promise<Reply> {
  const state = name(ctx, "check state");
  if (state !== "any" && !STATUSES.includes(state as CheckStatus)) throw new HttpError(500, `Bad state: ${state}`);
  return read(ctx, () => ctx.state.checksIndex(), () =>
    ctx.state.allChecks().filter((c) => state === "any" || c.status === state).map((c) => healthCheck(c, ctx.state.node.name)),
  );
}

async function catalogList(ctx: Ctx): Promise<Reply> {
  const meta = readPreamble(ctx);
  const authz = ctx.authz();
  const keep = compileFilter(ctx.query.get("filter") ?? "");
  const r = await blockOnIndex(ctx, () => ({ index: ctx.state.servicesIndex(), body: ctx.state.allServices() }));
  const visible = authz.canRead ? r.body.filter((s) => keep(nodeService(s))) : [];
  return { json: catalogServices(visible), headers: meta(r.index) };
}

function catalogService(ctx: Ctx): Promise<Reply> {
  const svc = name(ctx, "service name");
  return read(ctx, () => ctx.state.serviceIndex(svc), () =>
    ctx.state.allServices().filter((s) => s.name === svc && hasTags(s, ctx)).map((s) => catalogServiceNode(ctx.state, s)),
  );
}

/** GET /v1/catalog/node/:node → {Node, Services: {id: NodeService}}, null for an unknown node. */
async function catalogNode(ctx: Ctx): Promise<Reply> {
  const node = name(ctx, "node name");
  const meta = readPreamble(ctx);
  const authz = ctx.authz();
  const mine = node === ctx.state.node.name || node === ctx.state.node.id;
  const r = await blockOnIndex(ctx, () => ({ index: ctx.state.nodeIndex(), body: ctx.state.allServices() }));
  const json = mine && authz.canRead
    ? { Node: nodeView(ctx.state.node), Services: sortedObject(r.body.map((s) => [s.id, nodeService(s)])) }
    : null;
  return { json, headers: meta(r.index) };
}

/** GET /v1/catalog/node-services/:node → {Node, Services: [NodeService]} (Consul 1.7+). */
async function catalogNodeServices(ctx: Ctx): Promise<Reply> {
  const node = name(ctx, "node name");
  const meta = readPreamble(ctx);
  const authz = ctx.authz();
  const keep = compileFilter(ctx.query.get("filter") ?? "");
  const mine = node === ctx.state.node.name || node === ctx.state.node.id;
  const r = await blockOnIndex(ctx, () => ({ index: ctx.state.nodeIndex(), body: ctx.state.allServices() }));
  const json = mine && authz.canRead
    ? { Node: nodeView(ctx.state.node), Services: r.body.map((s) => nodeService(s)).filter((v) => keep(v)) }
    : null;
  return { json, headers: meta(r.index) };
}

function leader(ctx: Ctx): Reply {
  return { json: ctx.state.knownLeader ? `${ctx.state.node.address}:8300` : "" };
}

export const readRoutes: Route[] = [
  route("/v1/health/service/", GET, healthService),
  route("/v1/health/checks/", GET, healthChecks),
  route("/v1/health/node/", GET, healthNode),
  route("/v1/health/state/", GET, healthState),
  route("/v1/catalog/services", GET, catalogList),
  route("/v1/catalog/service/", GET, catalogService),
  route("/v1/catalog/node/", GET, catalogNode),
  route("/v1/catalog/node-services/", GET, catalogNodeServices),
  route("/v1/status/leader", GET, leader),
];
