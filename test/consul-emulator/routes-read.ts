// The /v1/health, /v1/catalog and /v1/status endpoints. Health and catalog
// reads go through the servers in Consul, so they are index-blocking, wait
// for a leader unless ?stale, and carry the query-meta headers. ACLs filter
// rather than refuse: an entry needs node:read on its node and service:read
// on its service, and a list that lost entries says so with
// X-Consul-Results-Filtered-By-ACLs (never to the anonymous token).

import type { Authorizer } from "./acl.js";
import { blockOnIndex } from "./blocking.js";
import { checksIndex, isNode, nodeIndex, serviceIndex, servicesIndex, type CatalogData, type ServiceRec } from "./catalog.js";
import { readPreamble, route, type Ctx, type Reply, type Route } from "./context.js";
import { HttpError, STATUSES, type CheckStatus } from "./decode.js";
import { parseGoBool } from "./duration.js";
import { compileFilter } from "./filter.js";
import { catalogServiceNode, catalogServices, healthCheck, healthEntry, nodeService, nodeView, sortedObject } from "./views.js";

const GET = ["GET"] as const;
type View = Record<string, unknown>;
type Allowed = (authz: Authorizer, view: View) => boolean;

/** A check (structs.HealthCheck view): node:read on its node, and service:read on its service if it has one. */
const checkAllowed: Allowed = (a, v) => a.can("node:read", String(v.Node)) && (v.ServiceName === "" || a.can("service:read", String(v.ServiceName)));

/** A blocking read: preamble, block on `index`, then ?filter= and the ACL filter. */
async function read(ctx: Ctx, index: (d: CatalogData) => number, compute: (d: CatalogData) => View[], allowed: Allowed): Promise<Reply> {
  const meta = await readPreamble(ctx);
  const authz = ctx.authz();
  const keep = compileFilter(ctx.query.get("filter") ?? "");
  const r = await blockOnIndex(ctx, () => {
    const d = ctx.state.catalog();
    return { index: index(d), body: compute(d) };
  });
  const matching = r.body.filter((x) => keep(x));
  const visible = matching.filter((x) => allowed(authz, x));
  return { json: visible, headers: { ...meta(r.index), ...authz.filteredHeader(visible.length < matching.length) } };
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
  return read(
    ctx,
    (d) => serviceIndex(d, svc),
    (d) =>
      d.services
        .filter((s) => s.name === svc && hasTags(s, ctx))
        .map((s) => healthEntry(d, d.node!, s))
        .filter((e) => !passing || (e.Checks as { Status: string }[]).every((c) => c.Status === "passing")),
    (a, e) => a.can("node:read", String((e.Node as View).Node)) && a.can("service:read", String((e.Service as View).Service)),
  );
}

function healthChecks(ctx: Ctx): Promise<Reply> {
  const svc = name(ctx, "service name");
  return read(ctx, checksIndex, (d) => d.checks.filter((c) => c.serviceName === svc).map((c) => healthCheck(c, d.node!.name)), checkAllowed);
}

function healthNode(ctx: Ctx): Promise<Reply> {
  const node = name(ctx, "node name");
  return read(ctx, checksIndex, (d) => (isNode(d, node) ? d.checks.map((c) => healthCheck(c, d.node!.name)) : []), checkAllowed);
}

function healthState(ctx: Ctx): Promise<Reply> {
  const state = name(ctx, "check state");
  if (state !== "any" && !STATUSES.includes(state as CheckStatus)) throw new HttpError(500, `Bad state: ${state}`);
  return read(ctx, checksIndex, (d) => d.checks.filter((c) => state === "any" || c.status === state).map((c) => healthCheck(c, d.node!.name)), checkAllowed);
}

async function catalogList(ctx: Ctx): Promise<Reply> {
  const meta = await readPreamble(ctx);
  const authz = ctx.authz();
  const keep = compileFilter(ctx.query.get("filter") ?? "");
  const r = await blockOnIndex(ctx, () => {
    const d = ctx.state.catalog();
    return { index: servicesIndex(d), body: d.services };
  });
  const matching = r.body.filter((s) => keep(nodeService(s)));
  const visible = matching.filter((s) => authz.can("service:read", s.name));
  return { json: catalogServices(visible), headers: { ...meta(r.index), ...authz.filteredHeader(visible.length < matching.length) } };
}

function catalogService(ctx: Ctx): Promise<Reply> {
  const svc = name(ctx, "service name");
  return read(
    ctx,
    (d) => serviceIndex(d, svc),
    (d) => d.services.filter((s) => s.name === svc && hasTags(s, ctx)).map((s) => catalogServiceNode(d.node!, s)),
    (a, v) => a.can("node:read", String(v.Node)) && a.can("service:read", String(v.ServiceName)),
  );
}

/**
 * The node and its services, for /v1/catalog/node (a map) and
 * /v1/catalog/node-services (a list): null for an unknown node or one the
 * token may not read; services the token may not read are left out.
 */
function nodeRead(shape: "map" | "list") {
  return async (ctx: Ctx): Promise<Reply> => {
    const node = name(ctx, "node name");
    const meta = await readPreamble(ctx);
    const authz = ctx.authz();
    const keep = compileFilter(shape === "list" ? (ctx.query.get("filter") ?? "") : "");
    const r = await blockOnIndex(ctx, () => {
      const d = ctx.state.catalog();
      return { index: nodeIndex(d), body: d };
    });
    const d = r.body;
    if (!isNode(d, node)) return { json: null, headers: meta(r.index) };
    if (!authz.can("node:read", d.node!.name)) return { json: null, headers: { ...meta(r.index), ...authz.filteredHeader(true) } };
    const matching = d.services.filter((s) => keep(nodeService(s)));
    const visible = matching.filter((s) => authz.can("service:read", s.name));
    const services = shape === "map" ? sortedObject(visible.map((s) => [s.id, nodeService(s)])) : visible.map((s) => nodeService(s));
    return { json: { Node: nodeView(d.node!), Services: services }, headers: { ...meta(r.index), ...authz.filteredHeader(visible.length < matching.length) } };
  };
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
  route("/v1/catalog/node/", GET, nodeRead("map")),
  route("/v1/catalog/node-services/", GET, nodeRead("list")),
  route("/v1/status/leader", GET, leader),
];
