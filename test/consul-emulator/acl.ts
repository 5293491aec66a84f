// ACLs as a Consul agent with `acl.enabled = true, default_policy = "deny"`
// sees them. A request's token comes from `?token=`, then `X-Consul-Token`,
// then `Authorization: Bearer …` (Consul's order). An unknown token is "ACL
// not found" (403) on every endpoint; no token means the anonymous token,
// which may do nothing.
//
// A token is a management token, or rules (`node`, `node_prefix`, `service`,
// `service_prefix`, `agent`, `agent_prefix` → read | write | deny, as in a
// policy's HCL) plus node and service identities, which Consul expands to
// fixed policies (structs.aclPolicyTemplateNodeIdentity / ServiceIdentity):
//   node identity N:    node "N" write; service_prefix "" read
//   service identity S: service "S" and "S-sidecar-proxy" write;
//                       service_prefix "" read; node_prefix "" read
// An exact rule wins over prefix rules, the longest prefix over shorter ones;
// where policies overlap deny beats write beats read (acl/policy_merger.go).

import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./decode.js";

export type TokenSource = "query" | "header" | "bearer" | "none";
export type Access = "read" | "write" | "deny";
export type Resource = "agent" | "node" | "service";
export type Permission = `${Resource}:${"read" | "write"}`;

/** A policy's rules, keyed as in HCL: `{ node: { edge1: "read" }, service_prefix: { "": "read" } }`. */
export type Rules = Partial<Record<Resource | `${Resource}_prefix`, Record<string, Access>>>;

export interface TokenSpec {
  management?: boolean;
  rules?: Rules;
  nodeIdentities?: string[];
  serviceIdentities?: string[];
}

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

const RANK: Record<Access, number> = { read: 1, write: 2, deny: 3 };

/** Every rule of a token: its own and its identities' policies, merged. */
export function expandRules(spec: TokenSpec): Rules {
  const out: Rules = {};
  const add = (key: keyof Rules, name: string, access: Access) => {
    const table = (out[key] ??= {});
    const prev = table[name];
    if (prev === undefined || RANK[access] > RANK[prev]) table[name] = access;
  };
  for (const [key, table] of Object.entries(spec.rules ?? {}) as [keyof Rules, Record<string, Access>][]) {
    for (const [name, access] of Object.entries(table)) add(key, name, access);
  }
  for (const n of spec.nodeIdentities ?? []) {
    add("node", n, "write");
    add("service_prefix", "", "read");
  }
  for (const s of spec.serviceIdentities ?? []) {
    add("service", s, "write");
    add("service", `${s}-sidecar-proxy`, "write");
    add("service_prefix", "", "read");
    add("node_prefix", "", "read");
  }
  return out;
}

/** The rule that applies to `name`: the exact one, else the longest matching prefix; null: none (default deny). */
function ruleFor(rules: Rules, resource: Resource, name: string): Access | null {
  const exact = rules[resource]?.[name];
  if (exact !== undefined) return exact;
  let best: string | null = null;
  for (const prefix of Object.keys(rules[`${resource}_prefix`] ?? {})) {
    if (name.startsWith(prefix) && (best === null || prefix.length > best.length)) best = prefix;
  }
  return best === null ? null : rules[`${resource}_prefix`]![best]!;
}

export class Authorizer {
  private constructor(
    /** null: management (or ACLs off); otherwise the token's merged rules. */
    private readonly rules: Rules | null,
    /** "" for the anonymous token. */
    readonly token: string,
    private readonly accessor: string,
  ) {}

  static readonly all = new Authorizer(null, "", "");

  static resolve(tokens: ReadonlyMap<string, TokenRecord> | null, token: string): Authorizer {
    if (tokens === null) return Authorizer.all;
    if (token === "") return new Authorizer({}, "", "00000000-0000-0000-0000-000000000002");
    const rec = tokens.get(token);
    if (!rec) throw new HttpError(403, "ACL not found");
    return rec.spec.management ? Authorizer.all : new Authorizer(expandRules(rec.spec), token, rec.accessor);
  }

  can(permission: Permission, name: string): boolean {
    if (this.rules === null) return true;
    const [resource, level] = permission.split(":") as [Resource, "read" | "write"];
    const access = ruleFor(this.rules, resource, name);
    return access === "write" || (access === "read" && level === "read");
  }

  /** Throws Consul's permission-denied error unless allowed. */
  require(permission: Permission, name: string): void {
    if (this.can(permission, name)) return;
    if (this.token === "") {
      throw new HttpError(
        403,
        `Permission denied: anonymous token lacks permission '${permission}' on "${name}". ` +
          "The anonymous token is used implicitly when a request does not specify a token.",
      );
    }
    throw new HttpError(403, `Permission denied: token with AccessorID '${this.accessor}' lacks permission '${permission}' on "${name}"`);
  }

  /**
   * X-Consul-Results-Filtered-By-ACLs for a list that lost entries to ACLs:
   * never for the anonymous token (Server.maskResultsFilteredByACLs), so an
   * unauthenticated caller learns nothing about what it cannot see.
   */
  filteredHeader(removed: boolean): Record<string, string> {
    return removed && this.token !== "" ? { "X-Consul-Results-Filtered-By-ACLs": "true" } : {};
  }
}

export interface TokenRecord {
  spec: TokenSpec;
  accessor: string;
}

export function tokenRecord(spec: TokenSpec): TokenRecord {
  return { spec, accessor: randomUUID() };
}
