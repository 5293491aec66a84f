// The announcer's GET /status as tables for a person: a summary line per
// concern (the process, ExaBGP, Consul), then the apps, each check's last
// result, and the VIPs announced. Pure: the answer is checked against the
// shape the announcer serves (views.ts, runtime.ts) and `now` ages the times.

import type { Result } from "@exacast/core";
import { ageOf, err, formatTable, listCell, ok, validate } from "@exacast/core";
import { z } from "zod";

const checkSchema = z.object({
  kind: z.string(),
  check: z.string(),
  last: z.object({ ok: z.boolean(), reason: z.string().nullable().optional(), latency_ms: z.number(), maintenance: z.boolean().optional() }).nullable(),
});

const appSchema = z.object({
  name: z.string(),
  source: z.string(),
  state: z.string(),
  serving: z.boolean(),
  since: z.string(),
  reason: z.string().nullable(),
  vips: z.array(z.string()),
  ports: z.array(z.number()),
  checks: z.array(checkSchema),
  last_check: z.string().nullable(),
});

export const announcerStatusSchema = z.object({
  program: z.literal("exacast-announcer"),
  host: z.string().optional(),
  version: z.string(),
  pid: z.number(),
  started: z.string(),
  draining: z.boolean(),
  stopping: z.boolean(),
  announced: z.array(z.object({ vip: z.string(), command: z.string() })),
  exabgp: z.object({ ack: z.boolean().optional(), commands: z.number(), acks: z.number(), ack_errors: z.number(), ack_timeouts: z.number(), resends: z.number() }),
  http: z.object({ apps: z.number() }).nullable(),
  consul: z
    .object({
      node: z.string().nullable(),
      reachable: z.boolean().nullable(),
      last_error: z.string().nullable(),
      outage_since: z.string().nullable(),
      services: z.number(),
      skipped: z.number(),
      errors: z.number(),
    })
    .nullable(),
  apps: z.array(appSchema),
});

/** What the table reads of GET /status (views.ts has all of it). */
export type StatusAnswer = z.output<typeof announcerStatusSchema>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function consulLine(c: NonNullable<StatusAnswer["consul"]>, now: number): string {
  const node = c.node === null ? "node not known yet" : `node ${c.node}`;
  const state =
    c.reachable === null
      ? "not asked yet"
      : c.reachable
        ? "reachable"
        : `UNREACHABLE for ${ageOf(c.outage_since, now)}${c.last_error ? ` (${c.last_error})` : ""}`;
  return `Consul: ${node}, ${state}; ${plural(c.services, "tagged service")} (${c.skipped} skipped), ${plural(c.errors, "query error")}`;
}

/** The community list and the rest of an announce command, without "announce route <vip>". */
const attributes = (vip: string, command: string) => command.replace(`announce route ${vip} `, "");

function checkResult(c: z.output<typeof checkSchema>): string[] {
  if (c.last === null) return ["-", "-", "not run yet"];
  return [c.last.maintenance ? "maint" : c.last.ok ? "pass" : "fail", `${c.last.latency_ms.toFixed(1)}ms`, c.last.reason ?? ""];
}

/** The tables, or what in the answer is not as the announcer serves it. */
export function formatAnnouncerStatus(answer: unknown, now: number): Result<string, string[]> {
  const v = validate(announcerStatusSchema, answer);
  if (!v.ok) return err(v.error);
  const s = v.value;
  const flags = [s.draining ? "DRAINING (every VIP carries 65535:0)" : null, s.stopping ? "STOPPING" : null].filter(Boolean);
  const up = s.apps.filter((a) => a.state === "UP").length;
  const head = [
    `${s.program} ${s.version}${s.host ? ` on ${s.host}` : ""}, pid ${s.pid}, up ${ageOf(s.started, now)}${flags.length ? `; ${flags.join("; ")}` : ""}`,
    `Apps: ${s.apps.length} (${up} UP), ${plural(s.announced.length, "VIP")} announced${s.http ? `; ${s.http.apps} registered over HTTP` : ""}`,
    s.exabgp.ack === false
      ? `ExaBGP: ${plural(s.exabgp.commands, "command")} written (acks off), ${plural(s.exabgp.resends, "resend")}`
      : `ExaBGP: ${plural(s.exabgp.commands, "command")} written, ${plural(s.exabgp.acks, "ack")} (${plural(s.exabgp.ack_errors, "error")}, ${plural(s.exabgp.ack_timeouts, "timeout")}), ${plural(s.exabgp.resends, "resend")}`,
  ];
  if (s.consul) head.push(consulLine(s.consul, now));
  const apps = s.apps.map((a) => [a.name, a.source, a.state, ageOf(a.since, now), listCell(a.vips, 3), listCell(a.ports, 6), a.reason ?? "-"]);
  const checks = s.apps.flatMap((a) => a.checks.map((c) => [a.name, c.check, ...checkResult(c)]));
  const vips = s.announced.map((r) => [r.vip, attributes(r.vip, r.command)]);
  const out = [head.join("\n") + "\n"];
  out.push(s.apps.length === 0 ? "No apps.\n" : formatTable(["App", "Source", "State", "Since", "VIPs", "Ports", "Reason"], apps));
  if (checks.length > 0) out.push(formatTable(["App", "Check", "Last", "Latency", "Detail"], checks));
  out.push(vips.length === 0 ? "No VIP announced.\n" : formatTable(["VIP announced", "Attributes"], vips));
  return ok(out.join("\n"));
}
