// PUT /v1/catalog/register, as far as another client changing the tags of one
// of this agent's services goes (the case EnableTagOverride is for). Anything
// else is refused with a 400 naming the emulator, so a test never mistakes
// the limit for Consul's answer.

import { route, type Ctx, type Reply, type Route } from "./context.js";
import { HttpError, parseBody } from "./decode.js";
import { isNode } from "./catalog.js";
import { catalogSetTags } from "./lifecycle.js";

async function catalogRegister(ctx: Ctx): Promise<Reply> {
  const body = parseBody(await ctx.body(), "structs.RegisterRequest");
  const node = typeof body.Node === "string" ? body.Node : "";
  if (node === "") throw new HttpError(400, "Must provide node");
  const svc = body.Service as Record<string, unknown> | undefined;
  const id = typeof svc?.ID === "string" && svc.ID !== "" ? svc.ID : typeof svc?.Service === "string" ? svc.Service : "";
  const tags = svc?.Tags === null || svc?.Tags === undefined ? null : svc.Tags;
  if (!isNode(ctx.state.catalog(), node) || !ctx.state.services.has(id) || (tags !== null && !(Array.isArray(tags) && tags.every((t) => typeof t === "string")))) {
    throw new HttpError(400, "emulator: PUT /v1/catalog/register only changes the Tags of a service of this agent's node");
  }
  const authz = ctx.authz();
  authz.require("node:write", ctx.state.node.name);
  authz.require("service:write", ctx.state.services.get(id)!.name);
  catalogSetTags(ctx.state, id, tags as string[] | null);
  return { json: true };
}

export const writeRoutes: Route[] = [route("/v1/catalog/register", ["PUT"], catalogRegister)];
