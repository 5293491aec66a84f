// The endpoint's decisions without a socket: which route a request reaches,
// the refusals (404 with a hint, 405 with Allow, 400 for a bad name), and the
// bearer token compared as a whole.

import { describe, expect, it } from "vitest";
import { authorized, RouteTable, tokenDigest } from "../src/routes.js";

const table = () =>
  new RouteTable()
    .get("/v1/apps", "apps", () => ({ status: 200, json: [] }))
    .on(["GET", "POST"], "/register", "register", (r) => ({ status: 200, json: r.query.get("name") }))
    .get("/metrics", "metrics", () => ({ status: 200, text: "m" }))
    .get("/v1/apps/:name", "app", (r) => ({ status: 200, json: r.params }))
    .on("PUT", "/v1/apps/:name", "app", (r) => ({ status: 201, json: r.body }), { body: true });

const resolve = (method: string, target: string) => table().resolve(method, target);

describe("route table", () => {
  it("finds routes by method and path; HEAD wherever GET; a trailing slash is the same path", () => {
    const r = resolve("GET", "/register?name=web&vip=10.0.0.1/32");
    expect(r.kind === "route" && r.route.handle({ ...r.request, body: "" })).toEqual({ status: 200, json: "web" });
    expect(resolve("HEAD", "/metrics")).toMatchObject({ kind: "route", route: { name: "metrics" } });
    expect(resolve("GET", "/v1/apps/")).toMatchObject({ kind: "route", route: { name: "apps" } });
    expect(resolve("PUT", "/v1/apps/web")).toMatchObject({ kind: "route", route: { name: "app", body: true } });
  });

  it("path parameters are percent-decoded; bad encoding is a 400 naming the parameter", () => {
    expect(resolve("GET", "/v1/apps/a%2Eb")).toMatchObject({ kind: "route", request: { params: { name: "a.b" } } });
    expect(resolve("GET", "/v1/apps/%E0%A4%A")).toMatchObject({ kind: "reply", status: 400, problems: ["name: invalid percent-encoding in the URL"] });
    expect(resolve("GET", "/v1/apps/a/b")).toMatchObject({ kind: "reply", status: 404 });
  });

  it("an unknown path is a 404 listing the fixed paths; a known path with another method a 405 with Allow", () => {
    expect(resolve("GET", "/nope")).toMatchObject({ kind: "reply", name: "other", status: 404, error: "not found: try /v1/apps, /register or /metrics" });
    expect(resolve("DELETE", "/metrics")).toMatchObject({ kind: "reply", name: "metrics", status: 405, allow: "GET, HEAD" });
    expect(resolve("POST", "/v1/apps/web")).toMatchObject({ status: 405, allow: "GET, HEAD, PUT" });
  });

  it("one added line serves a new page", () => {
    const t = table().get("/", "page", () => ({ status: 200, text: "<html>", type: "text/html" }));
    expect(t.resolve("GET", "/")).toMatchObject({ kind: "route", route: { name: "page" } });
    expect(t.resolve("GET", "/x")).toMatchObject({ status: 404, error: "not found: try /v1/apps, /register, /metrics or /" });
  });

  it("the bearer token: the whole token, in the Authorization header's Bearer form", () => {
    const d = tokenDigest("s3cret");
    expect(authorized("Bearer s3cret", d)).toBe(true);
    expect(authorized("bearer  s3cret ", d)).toBe(true);
    for (const h of [undefined, "", "Bearer", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret", "Bearer s3cret x"]) expect(authorized(h, d)).toBe(false);
  });
});
