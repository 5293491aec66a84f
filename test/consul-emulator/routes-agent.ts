// The /v1/agent endpoints: local services and checks, maintenance mode. None
// is index-blocking (Consul documents "Blocking Queries: NO" and sends no
// X-Consul-Index here); GET /v1/agent/service/:id supports hash-based
// blocking only, and answers 404 for an unknown ID before it looks at ACLs.

import { blockOnHash } from "./blocking.js";
import { route, type Ctx, type Reply, type Route } from "./context.js";
import { decodeCheck, decodeCheckUpdate, decodeService, HttpError, parseBody, type CheckStatus } from "./decode.js";
import { parseGoBool } from "./duration.js";
import { compileFilter } from "./filter.js";
import { nodeMaintenance, serviceMaintenance } from "./maintenance.js";
import type { CheckRec } from "./state.js";
import { agentService, contentHash, healthCheck, sortedObject } from "./views.js";

const GET = ["GET"] as const;
const PUT = ["PUT"] as const;
const VERSION = "1.20.6";

function self(ctx: Ctx): Reply {
  const { node } = ctx.state;
  ctx.authz().require("agent:read", node.name);
  return {
    json: {
      Config: {
        Datacenter: node.datacenter, PrimaryDatacenter: node.datacenter, NodeName: node.name, NodeID: node.id,
        Revision: "emulator", Server: true, Version: VERSION, BuildDate: "2025-01-01T00:00:00Z",
      },
      DebugConfig: {},
      Coord: null,
      Member: {
        Name: node.name, Addr: node.address, Port: 8301, Status: 1,
        Tags: { dc: node.datacenter, role: "consul", id: node.id, build: VERSION, port: "8300" },
        ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4,
      },
      Stats: {},
      Meta: { "consul-network-segment": "" },
    },
  };
}

function listServices(ctx: Ctx): Reply {
  const authz = ctx.authz();
  const keep = compileFilter(ctx.query.get("filter") ?? "");
  const views = [...ctx.state.services.values()].map((s) => [s.id, agentService(s, ctx.datacenter)] as [string, Record<string, unknown>]);
  // What the token may not read is filtered out (200), not refused.
  const matching = views.filter(([, v]) => keep(v));
  const visible = matching.filter(([, v]) => authz.can("service:read", String(v.Service)));
  return { json: sortedObject(visible), headers: authz.filteredHeader(visible.length < matching.length) };
}

async function getService(ctx: Ctx): Promise<Reply> {
  const id = ctx.rest;
  const authz = ctx.authz();
  const { hash, body } = await blockOnHash(ctx, () => {
    const svc = ctx.state.services.get(id);
    if (!svc) throw new HttpError(404, `unknown service ID: ${id}`);
    authz.require("service:read", svc.name);
    const view = agentService(svc, ctx.datacenter);
    const h = contentHash(view);
    return { hash: h, body: { ...view, ContentHash: h } };
  });
  return { json: body, headers: { "X-Consul-Contenthash": hash } };
}

function listChecks(ctx: Ctx): Reply {
  const authz = ctx.authz();
  const keep = compileFilter(ctx.query.get("filter") ?? "");
  const views = [...ctx.state.checks.values()].map((c) => [c.checkId, healthCheck(c, ctx.state.node.name, true)] as [string, Record<string, unknown>]);
  const matching = views.filter(([, v]) => keep(v));
  const visible = matching.filter(([, v]) => (v.ServiceName === "" ? authz.can("node:read", ctx.state.node.name) : authz.can("service:read", String(v.ServiceName))));
  return { json: sortedObject(visible), headers: authz.filteredHeader(visible.length < matching.length) };
}

async function registerService(ctx: Ctx): Promise<Reply> {
  const def = decodeService(parseBody(await ctx.body(), "structs.ServiceDefinition"));
  ctx.authz().require("service:write", def.name);
  if (def.sidecar) ctx.authz().require("service:write", def.sidecar.name || `${def.name}-sidecar-proxy`);
  const replace = ctx.query.getAll("replace-existing-checks");
  ctx.state.registerService(def, replace.length > 0 && (replace[0] === "" || replace[0] === "true"));
  return {};
}

function deregisterService(ctx: Ctx): Reply {
  const authz = ctx.authz();
  const svc = ctx.state.services.get(ctx.rest);
  if (svc) authz.require("service:write", svc.name);
  ctx.state.deregisterService(ctx.rest);
  return {};
}

function requireCheckWrite(ctx: Ctx, check: CheckRec): void {
  const authz = ctx.authz();
  if (check.serviceName) authz.require("service:write", check.serviceName);
  else authz.require("node:write", ctx.state.node.name);
}

async function registerCheck(ctx: Ctx): Promise<Reply> {
  const def = decodeCheck(parseBody(await ctx.body(), "structs.CheckDefinition"), "CheckDefinition", true);
  if (def.name === "") throw new HttpError(400, "Missing check name");
  const authz = ctx.authz();
  const svc = def.serviceId ? ctx.state.services.get(def.serviceId) : undefined;
  if (def.serviceId && !svc) throw new HttpError(404, `ServiceID "${def.serviceId}" does not exist`);
  if (svc) authz.require("service:write", svc.name);
  else authz.require("node:write", ctx.state.node.name);
  ctx.state.registerCheck(def);
  return {};
}

function deregisterCheck(ctx: Ctx): Reply {
  ctx.authz();
  requireCheckWrite(ctx, ctx.state.requireCheck(ctx.rest));
  ctx.state.deregisterCheck(ctx.rest);
  return {};
}

function ttl(status: CheckStatus) {
  return (ctx: Ctx): Reply => {
    ctx.authz();
    requireCheckWrite(ctx, ctx.state.requireCheck(ctx.rest));
    ctx.state.updateTTL(ctx.rest, status, ctx.query.get("note") ?? "");
    return {};
  };
}

async function updateCheck(ctx: Ctx): Promise<Reply> {
  const { status, output } = decodeCheckUpdate(parseBody(await ctx.body(), "agent.checkUpdate"));
  ctx.authz();
  requireCheckWrite(ctx, ctx.state.requireCheck(ctx.rest));
  ctx.state.updateTTL(ctx.rest, status, output);
  return {};
}

/** Worst status wins; no checks is passing (api.HealthChecks.AggregatedStatus). */
function aggregate(checks: CheckRec[]): { status: CheckStatus; code: number } {
  if (checks.some((c) => c.status === "critical")) return { status: "critical", code: 503 };
  if (checks.some((c) => c.status === "warning")) return { status: "warning", code: 429 };
  return { status: "passing", code: 200 };
}

function wantsText(ctx: Ctx): boolean {
  if ((ctx.req.headers.accept ?? "").startsWith("text/plain")) return true;
  return ctx.query.get("format") === "text";
}

function localHealth(ctx: Ctx, svcId: string) {
  const svc = ctx.state.services.get(svcId)!;
  const checks = [...ctx.state.checks.values()].filter((c) => c.serviceId === svcId || c.serviceId === "");
  const agg = aggregate(checks);
  return {
    ...agg,
    json: {
      AggregatedStatus: agg.status,
      Service: agentService(svc, ctx.datacenter),
      Checks: checks.map((c) => ({
        Node: ctx.state.node.name, CheckID: c.checkId, Name: c.name, Status: c.status, Notes: c.notes, Output: c.output,
        ServiceID: c.serviceId, ServiceName: c.serviceName, ServiceTags: c.serviceTags, Type: c.type,
        Definition: {}, CreateIndex: 0, ModifyIndex: 0,
      })),
    },
  };
}

function healthById(ctx: Ctx): Reply {
  if (ctx.rest === "") throw new HttpError(400, "Missing serviceID");
  const authz = ctx.authz();
  const svc = ctx.state.services.get(ctx.rest);
  if (!svc) {
    const reason = `ServiceId ${ctx.rest} not found`;
    return wantsText(ctx) ? { status: 404, text: reason } : { status: 404, json: { AggregatedStatus: "critical", Service: null, Checks: null } };
  }
  authz.require("service:read", svc.name);
  const h = localHealth(ctx, svc.id);
  return wantsText(ctx) ? { status: h.code, text: h.status } : { status: h.code, json: h.json };
}

function healthByName(ctx: Ctx): Reply {
  if (ctx.rest === "") throw new HttpError(400, "Missing service Name");
  ctx.authz().require("service:read", ctx.rest);
  let code = 404;
  let status = `ServiceName ${ctx.rest} Not Found`;
  const out = [];
  for (const svc of ctx.state.services.values()) {
    if (svc.name !== ctx.rest) continue;
    const h = localHealth(ctx, svc.id);
    out.push(h.json);
    if (code === 404 || code < h.code) [code, status] = [h.code, h.status];
  }
  return wantsText(ctx) ? { status: code, text: status } : { status: code, json: out };
}

/** ?enable=true|false (Go's ParseBool), required. */
function enableParam(ctx: Ctx): boolean {
  if (!ctx.query.has("enable")) throw new HttpError(400, "Missing value for enable");
  const raw = ctx.query.get("enable") ?? "";
  const v = parseGoBool(raw);
  if (v === undefined) throw new HttpError(400, `Invalid value for enable: ${JSON.stringify(raw)}`);
  return v;
}

function nodeMaint(ctx: Ctx): Reply {
  const enable = enableParam(ctx);
  ctx.authz().require("node:write", ctx.state.node.name);
  nodeMaintenance(ctx.state, enable, ctx.query.get("reason") ?? "");
  return {};
}

function serviceMaint(ctx: Ctx): Reply {
  if (ctx.rest === "") throw new HttpError(400, "Missing service ID");
  const enable = enableParam(ctx);
  const authz = ctx.authz();
  const svc = ctx.state.services.get(ctx.rest);
  if (svc) authz.require("service:write", svc.name);
  serviceMaintenance(ctx.state, ctx.rest, enable, ctx.query.get("reason") ?? "");
  return {};
}

export const agentRoutes: Route[] = [
  route("/v1/agent/maintenance", PUT, nodeMaint),
  route("/v1/agent/service/maintenance/", PUT, serviceMaint),
  route("/v1/agent/self", GET, self),
  route("/v1/agent/services", GET, listServices),
  route("/v1/agent/checks", GET, listChecks),
  route("/v1/agent/service/register", PUT, registerService),
  route("/v1/agent/service/deregister/", PUT, deregisterService),
  route("/v1/agent/service/", GET, getService),
  route("/v1/agent/check/register", PUT, registerCheck),
  route("/v1/agent/check/deregister/", PUT, deregisterCheck),
  route("/v1/agent/check/pass/", PUT, ttl("passing")),
  route("/v1/agent/check/warn/", PUT, ttl("warning")),
  route("/v1/agent/check/fail/", PUT, ttl("critical")),
  route("/v1/agent/check/update/", PUT, updateCheck),
  route("/v1/agent/health/service/id/", GET, healthById),
  route("/v1/agent/health/service/name/", GET, healthByName),
];
