// GoCast's registration API as queries: `/register?name=N&vip=V&monitor=…`
// and `/unregister?name=N`. A query becomes the same app input a PUT body
// would be, and goes through the same schema. Pure.
//
// GoCast's monitors (controller/app.go, monitor.go), as they behave there:
// `port:tcp:P` and `port:udp:P` pass while something on this host listens on
// P on any address (a `listening` check; P is also one of the app's ports),
// `exec:<cmd>` (GoCast runs it with `bash -c`; here with /bin/sh -c, and only
// when the config sets http.allow_exec: a query must not run commands on
// this host unless the operator says so), and `consul` (the Consul check of
// the service named as the app). No monitor: always healthy, as in GoCast.
// `vip_communities=a:b,c:d` adds communities; `nat=tcp:53:8053` (repeatable)
// redirects <vip>:53 to local port 8053 while the VIP is announced.
//
// A VIP with host bits set (10.1.1.5/24) is masked to its network, as Go's
// net.ParseCIDR does for GoCast, with a warning: only in GoCast's forms, the
// announcer's own API and config refuse it.

import type { Result } from "@exacast/core";
import { err, ok, parseAddress, parsePrefix } from "@exacast/core";
import type { AppInputObject } from "./app-request.js";
import { checkName } from "./app-request.js";

const KNOWN = new Set(["name", "vip", "monitor", "vip_communities", "nat"]);

export interface GoCastOptions {
  readonly allowExec: boolean;
  /** Why exec monitors are refused (names the config key that allows them). */
  readonly execRefused?: string;
}

export interface GoCastApp {
  readonly name: string;
  readonly input: AppInputObject;
  /** What was accepted but changed (a VIP masked), for the reply and the log. */
  readonly warnings: readonly string[];
}

export const HTTP_EXEC_REFUSED = "exec monitors run a command on this host and are refused over HTTP; set http.allow_exec: true in the config to allow them";

/** One value of a parameter that must appear exactly once. */
function single(q: URLSearchParams, key: string, problems: string[]): string | undefined {
  const all = q.getAll(key);
  if (all.length === 1) return all[0];
  problems.push(all.length === 0 ? `${key}: required` : `${key}: given ${all.length} times, expected once`);
  return undefined;
}

function unknownParams(q: URLSearchParams, known: ReadonlySet<string>): string[] {
  const keys = [...new Set(q.keys())].filter((k) => !known.has(k));
  return keys.map((k) => `${JSON.stringify(k.slice(0, 40))}: unknown parameter; expected ${[...known].join(", ")}`);
}

/**
 * A VIP as GoCast reads it: `address/length` with any host bits cleared. The
 * prefix text, and a warning when bits were cleared; or a problem. Anything
 * else than host bits goes to the strict parser and its message.
 */
export function gocastVip(text: string): { vip: string; warning?: string } | string {
  const strict = parsePrefix(text);
  if (strict.ok) return { vip: strict.value.text };
  const slash = text.indexOf("/");
  const addr = slash === -1 ? null : parseAddress(text.slice(0, slash));
  const lenText = slash === -1 ? "" : text.slice(slash + 1);
  const max = addr?.ok ? (addr.value.family === 4 ? 32 : 128) : 0;
  if (!addr?.ok || !/^(?:0|[1-9]\d{0,2})$/.test(lenText) || Number(lenText) > max) return strict.error;
  const network = networkText(addr.value.hex, Number(lenText), addr.value.family);
  const masked = parsePrefix(`${network}/${lenText}`);
  if (!masked.ok) return strict.error;
  return { vip: masked.value.text, warning: `${text} has host bits set; announcing ${masked.value.text} as GoCast does` };
}

/** The address `hex` with the bits past `length` cleared, as text the strict parser reads. */
function networkText(hex: string, length: number, family: 4 | 6): string {
  const bits = [...hex].map((h) => parseInt(h, 16).toString(2).padStart(4, "0")).join("");
  const kept = bits.slice(0, length).padEnd(bits.length, "0");
  const nibbles = kept.match(/.{4}/g)!.map((b) => parseInt(b, 2).toString(16));
  if (family === 4) return (nibbles.join("").match(/.{2}/g) ?? []).map((b) => parseInt(b, 16)).join(".");
  return (nibbles.join("").match(/.{4}/g) ?? []).join(":");
}

/** A GoCast monitor → a check (as in the config) and the port it serves, or a problem. */
export function parseMonitor(text: string, i: number, opts: GoCastOptions): { check: Record<string, unknown>; port?: number } | string {
  const where = `monitor[${i}]`;
  if (text === "consul") return { check: { consul: {} } };
  const port = /^port:(tcp|udp):(\d{1,5})$/.exec(text);
  if (port) {
    const p = Number(port[2]);
    if (p < 1 || p > 65535) return `${where}: expected a port 1..65535, got ${port[2]}`;
    return { check: { listening: { protocol: port[1], port: p } }, port: p };
  }
  if (text.startsWith("exec:")) {
    if (!opts.allowExec) return `${where}: ${opts.execRefused ?? HTTP_EXEC_REFUSED}`;
    const command = text.slice("exec:".length);
    if (command.trim() === "") return `${where}: exec needs a command, e.g. exec:/usr/local/bin/check-web`;
    return { check: { exec: { command, shell: true } } };
  }
  return `${where}: expected port:tcp:<port>, port:udp:<port>, exec:<command> or consul, got ${JSON.stringify(text.slice(0, 80))}`;
}

/** `/register?…` → the app's name and input (validated further by validateApp). */
export function parseGoCastRegister(q: URLSearchParams, opts: GoCastOptions): Result<GoCastApp, string[]> {
  const problems = unknownParams(q, KNOWN);
  const warnings: string[] = [];
  const name = single(q, "name", problems);
  if (name !== undefined) problems.push(...checkName(name));
  const vipText = single(q, "vip", problems);
  let vip: string | undefined;
  if (vipText !== undefined) {
    const v = gocastVip(vipText);
    if (typeof v === "string") problems.push(`vip: ${v}`);
    else {
      vip = v.vip;
      if (v.warning) warnings.push(`vip: ${v.warning}`);
    }
  }
  const checks: Record<string, unknown>[] = [];
  const ports: number[] = [];
  q.getAll("monitor").forEach((m, i) => {
    const r = parseMonitor(m, i, opts);
    if (typeof r === "string") problems.push(r);
    else {
      checks.push(r.check);
      if (r.port !== undefined) ports.push(r.port);
    }
  });
  let communities: string[] | undefined;
  const vc = q.getAll("vip_communities");
  if (vc.length > 1) problems.push(`vip_communities: given ${vc.length} times, expected once (a comma-separated list)`);
  else if (vc.length === 1) communities = vc[0]!.split(",").map((c) => c.trim());
  if (problems.length > 0 || name === undefined || vip === undefined) return err(problems);
  const input: Record<string, unknown> = { name, vip, ports: [...new Set(ports)], checks };
  if (communities) input.communities = communities;
  // Entries are checked by the app schema (nat: with their index).
  const nat = q.getAll("nat");
  if (nat.length > 0) input.nat = nat;
  return ok({ name, input, warnings });
}

/** `/unregister?name=N` → N. */
export function parseGoCastUnregister(q: URLSearchParams): Result<string, string[]> {
  const problems = unknownParams(q, new Set(["name"]));
  const name = single(q, "name", problems);
  if (name !== undefined) problems.push(...checkName(name));
  return problems.length > 0 || name === undefined ? err(problems) : ok(name);
}
