// A Consul service and its tags → an app, or why it is skipped. Pure.
//
// A service is ours when it is a typical service (not a sidecar or gateway)
// and carries the configured tag (default `exacast`) or GoCast's
// `enable_gocast`. Its tags then say:
//   exacast_vip=<prefix>      required (repeatable); GoCast: gocast_vip=
//   exacast_port=<port>       repeatable; default the service's Port
//   exacast_check=consul | tcp:<host:port> | http:<url> | exec:<command>
//                             repeatable; default consul (the service's own
//                             Consul checks); GoCast: gocast_monitor=
//                             port:tcp:P | port:udp:P | exec:<cmd> | consul
// GoCast's other tags are read as GoCast reads them (controller/consul.go):
//   gocast_vip=              host bits masked, with a warning (exacast_vip= refuses them)
//   gocast_vip_communities=a:b,c:d   communities added to the announcement
//   gocast_nat=tcp:53:8053   repeatable; see nat-rules.ts
// and a service tagged only enable_gocast with no gocast_monitor= has no
// check at all (GoCast runs no monitor: always healthy), where one tagged
// for exacast checks its Consul checks by default.
// An exacast_ tag this version does not know is an error, not ignored: a
// misspelt exacast_vips must not leave a service silently unannounced.
// Every value goes through the same schemas as the config file.

import { createHash } from "node:crypto";
import type { AppInputObject } from "../app-request.js";
import { checkSchema } from "../check-schema.js";
import { gocastVip, parseMonitor } from "../gocast.js";
import { portSchema, prefixSchema } from "@exacast/core";

export interface ConsulService {
  readonly id: string;
  /** The service's name (several instances may share it). */
  readonly name: string;
  readonly tags: readonly string[];
  /** 0: none. */
  readonly port: number;
  /** Consul's Kind: "" (or absent) for a typical service; connect-proxy, mesh-gateway, … otherwise. */
  readonly kind?: string;
}

export interface TagOptions {
  readonly tag: string;
  readonly allowExec: boolean;
}

export type ServiceApp =
  | { readonly kind: "app"; readonly name: string; readonly input: AppInputObject; readonly warnings?: readonly string[] }
  | { readonly kind: "skip"; readonly problems: readonly string[] };

export const GOCAST_TAG = "enable_gocast";
const EXACAST_KEYS = ["exacast_vip", "exacast_port", "exacast_check"];
const EXEC_REFUSED = "exec checks from Consul tags run commands on this host and are refused; set consul.allow_exec: true in the config to allow them";

const show = (tag: string) => JSON.stringify(tag.length > 100 ? `${tag.slice(0, 99)}…` : tag);

/**
 * The app name of a service ID: `consul-<id>`, or, when the ID has
 * characters app names cannot have or is too long, its safe part and a hash
 * of the whole ID, so two IDs never share a name.
 */
export function consulAppName(id: string): string {
  const cleaned = id.replace(/[^A-Za-z0-9_.-]/g, "_");
  if (cleaned === id && id.length > 0 && id.length <= 57) return `consul-${id}`;
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 8);
  return `consul-${cleaned.slice(0, 48)}-${hash}`;
}

/** Tagged for us. Any kind: see isTypical. */
export function isTagged(svc: ConsulService, opts: TagOptions): boolean {
  return svc.tags.includes(opts.tag) || svc.tags.includes(GOCAST_TAG);
}

/**
 * A typical service (Kind ""). A Connect sidecar copies its parent's tags
 * (agent/sidecar_service.go) and listens on a proxy port (21000+): taking it
 * as an app would put a second app on the parent's VIP. Gateways are Consul's
 * infrastructure too. None of them is an app.
 */
export function isTypical(svc: ConsulService): boolean {
  return (svc.kind ?? "") === "";
}

export function isOurs(svc: ConsulService, opts: TagOptions): boolean {
  return isTypical(svc) && isTagged(svc, opts);
}

/** `exacast_check=` value → a check as in the config, or a problem. */
function exacastCheck(value: string, svc: ConsulService, opts: TagOptions): Record<string, unknown> | string {
  if (value === "consul") return { consul: { service: svc.id } };
  const colon = value.indexOf(":");
  const kind = colon === -1 ? value : value.slice(0, colon);
  const arg = colon === -1 ? "" : value.slice(colon + 1);
  if (kind === "tcp" || kind === "http") return { [kind]: arg };
  if (kind === "exec") {
    if (!opts.allowExec) return EXEC_REFUSED;
    return arg.trim() === "" ? "exec needs a command" : { exec: { command: arg, shell: true } };
  }
  return "expected consul, tcp:<host:port>, http:<url> or exec:<command>";
}

/** null: not ours (no tag, or not a typical service). */
export function serviceApp(svc: ConsulService, opts: TagOptions): ServiceApp | null {
  if (!isOurs(svc, opts)) return null;
  const problems: string[] = [];
  const vips = new Map<string, string>();
  const ports = new Set<number>();
  const checks: Record<string, unknown>[] = [];
  const communities: string[] = [];
  const nat: string[] = [];
  const warnings: string[] = [];
  const bad = (tag: string, why: string) => problems.push(`tag ${show(tag)}: ${why}`);
  for (const tag of svc.tags) {
    const eq = tag.indexOf("=");
    if (eq === -1) continue;
    const key = tag.slice(0, eq);
    const value = tag.slice(eq + 1);
    if (key === "exacast_vip") {
      const p = prefixSchema.safeParse(value);
      if (p.success) vips.set(p.data.text, p.data.text);
      else bad(tag, p.error.issues[0]?.message ?? "invalid prefix");
    } else if (key === "gocast_vip") {
      const v = gocastVip(value);
      if (typeof v === "string") bad(tag, v);
      else {
        vips.set(v.vip, v.vip);
        if (v.warning) warnings.push(`tag ${show(tag)}: ${v.warning}`);
      }
    } else if (key === "gocast_vip_communities") {
      communities.push(...value.split(",").map((c) => c.trim()));
    } else if (key === "exacast_port") {
      const p = portSchema.safeParse(/^\d{1,5}$/.test(value) ? Number(value) : NaN);
      if (p.success) ports.add(p.data);
      else bad(tag, "expected a port number 1..65535");
    } else if (key === "exacast_check" || key === "gocast_monitor") {
      const c = key === "exacast_check" ? exacastCheck(value, svc, opts) : gocastMonitor(value, svc, opts);
      if (typeof c === "string") {
        bad(tag, c);
        continue;
      }
      if ("port" in c && typeof c.port === "number") ports.add(c.port);
      const check = "check" in c ? (c.check as Record<string, unknown>) : c;
      const r = checkSchema.safeParse(check);
      if (r.success) checks.push(check);
      else bad(tag, r.error.issues.map((i) => i.message).join("; "));
    } else if (key === "gocast_nat") {
      nat.push(value);
    } else if (key.startsWith("exacast_") && !EXACAST_KEYS.includes(key)) {
      bad(tag, `unknown exacast tag; expected ${EXACAST_KEYS.map((k) => `${k}=`).join(", ")}`);
    }
  }
  if (vips.size === 0 && problems.length === 0) problems.push("no exacast_vip=<prefix> (or gocast_vip=) tag: a VIP is required");
  if (svc.id === "") problems.push("the service has an empty ID");
  if (problems.length > 0) return { kind: "skip", problems };
  if (ports.size === 0 && svc.port > 0) ports.add(svc.port);
  const gocastOnly = !svc.tags.includes(opts.tag);
  if (checks.length === 0 && !gocastOnly) checks.push({ consul: { service: svc.id } });
  const name = consulAppName(svc.id);
  // Communities and NAT entries are checked by the app schema, like every value.
  const input = {
    name,
    vips: [...vips.values()],
    ports: [...ports].sort((a, b) => a - b),
    checks,
    ...(communities.length > 0 ? { communities } : {}),
    ...(nat.length > 0 ? { nat } : {}),
  };
  return { kind: "app", name, input, ...(warnings.length > 0 ? { warnings } : {}) };
}

function gocastMonitor(value: string, svc: ConsulService, opts: TagOptions): { check: Record<string, unknown>; port?: number } | string {
  const m = parseMonitor(value, 0, { allowExec: opts.allowExec, execRefused: EXEC_REFUSED });
  if (typeof m === "string") return m.replace(/^monitor\[0\]: /, "");
  // GoCast's consul monitor checks the service itself.
  if ("consul" in m.check) return { check: { consul: { service: svc.id } } };
  return m;
}
