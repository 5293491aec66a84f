// GoCast's registration API as queries: `/register?name=N&vip=V&monitor=…`
// and `/unregister?name=N`. A query becomes the same app input a PUT body
// would be, and goes through the same schema. Pure.
//
// GoCast's monitors: `port:tcp:P` (here a tcp check of 127.0.0.1:P, and P is
// one of the app's ports), `exec:<cmd>` (GoCast runs it with `bash -c`; here
// with /bin/sh -c, and only when the config sets http.allow_exec: a query
// must not run commands on this host unless the operator says so), and
// `consul` (the Consul check of the service named as the app).
// `vip_communities=a:b,c:d` adds communities. GoCast's `nat` has no
// equivalent in an ExaBGP announcer and is refused rather than ignored.

import type { Result } from "@exacast/core";
import { err, ok } from "@exacast/core";
import type { AppInputObject } from "./app-request.js";
import { checkName } from "./app-request.js";

const KNOWN = new Set(["name", "vip", "monitor", "vip_communities", "nat"]);

export interface GoCastOptions {
  readonly allowExec: boolean;
  /** Why exec monitors are refused (names the config key that allows them). */
  readonly execRefused?: string;
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

/** A GoCast monitor → a check (as in the config) and the port it serves, or a problem. */
export function parseMonitor(text: string, i: number, opts: GoCastOptions): { check: Record<string, unknown>; port?: number } | string {
  const where = `monitor[${i}]`;
  if (text === "consul") return { check: { consul: {} } };
  const port = /^port:(tcp|udp):(\d{1,5})$/.exec(text);
  if (port) {
    const p = Number(port[2]);
    if (p < 1 || p > 65535) return `${where}: expected a port 1..65535, got ${port[2]}`;
    if (port[1] === "udp") {
      return `${where}: port:udp monitors are not supported (a UDP port cannot be probed without a request); register with PUT /v1/apps and a udp check instead`;
    }
    return { check: { tcp: `127.0.0.1:${p}` }, port: p };
  }
  if (text.startsWith("exec:")) {
    if (!opts.allowExec) return `${where}: ${opts.execRefused ?? HTTP_EXEC_REFUSED}`;
    const command = text.slice("exec:".length);
    if (command.trim() === "") return `${where}: exec needs a command, e.g. exec:/usr/local/bin/check-web`;
    return { check: { exec: { command, shell: true } } };
  }
  return `${where}: expected port:tcp:<port>, exec:<command> or consul, got ${JSON.stringify(text.slice(0, 80))}`;
}

/** `/register?…` → the app's name and input (validated further by validateApp). */
export function parseGoCastRegister(q: URLSearchParams, opts: GoCastOptions): Result<{ name: string; input: AppInputObject }, string[]> {
  const problems = unknownParams(q, KNOWN);
  const name = single(q, "name", problems);
  if (name !== undefined) problems.push(...checkName(name));
  const vip = single(q, "vip", problems);
  if (q.has("nat")) problems.push("nat: GoCast's NAT rules are not supported by exacast (it announces routes only); register without nat");
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
  return ok({ name, input });
}

/** `/unregister?name=N` → N. */
export function parseGoCastUnregister(q: URLSearchParams): Result<string, string[]> {
  const problems = unknownParams(q, new Set(["name"]));
  const name = single(q, "name", problems);
  if (name !== undefined) problems.push(...checkName(name));
  return problems.length > 0 || name === undefined ? err(problems) : ok(name);
}
