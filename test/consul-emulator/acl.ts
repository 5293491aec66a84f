// ACLs as a Consul agent with `acl.enabled = true, default_policy = "deny"`
// and one management token sees them. A request's token comes from `?token=`,
// then `X-Consul-Token`, then `Authorization: Bearer …` (Consul's order). An
// unknown token is "ACL not found" (403) on every endpoint; no token means the
// anonymous token, which may do nothing: list endpoints answer 200 with the
// denied entries filtered out, single reads and writes answer 403.

import type { IncomingMessage } from "node:http";
import { HttpError } from "./decode.js";

export type TokenSource = "query" | "header" | "bearer" | "none";

export function requestToken(req: IncomingMessage, query: URLSearchParams): { token: string; source: TokenSource } {
  const q = query.get("token");
  if (q) return { token: q, source: "query" };
  const h = req.headers["x-consul-token"];
  if (typeof h === "string" && h !== "") return { token: h, source: "header" };
  const auth = req.headers.authorization;
  if (typeof auth === "string") {
    const parts = auth.split(" ");
    if (parts.length > 1 && parts[0] === "Bearer") {
      const value = parts.slice(1).join(" ").trim().split(" ")[0]!.trim();
      if (value) return { token: value, source: "bearer" };
    }
  }
  return { token: "", source: "none" };
}

export class Authorizer {
  /** `all`: ACLs off or the management token; `none`: the anonymous token. */
  constructor(readonly level: "all" | "none") {}

  static resolve(aclToken: string | undefined, token: string): Authorizer {
    if (aclToken === undefined) return new Authorizer("all");
    if (token === "") return new Authorizer("none");
    if (token === aclToken) return new Authorizer("all");
    throw new HttpError(403, "ACL not found");
  }

  get canRead(): boolean {
    return this.level === "all";
  }

  /** Throws Consul's permission-denied error unless allowed. */
  require(permission: string, resource: string): void {
    if (this.level === "all") return;
    throw new HttpError(
      403,
      `Permission denied: anonymous token lacks permission '${permission}' on "${resource}". ` +
        "The anonymous token is used implicitly when a request does not specify a token.",
    );
  }
}
