// The listener's GET /status as tables for a person: a summary line, the
// neighbors with their sessions and route counts, the services map (port →
// prefixes) and each template's last render. Pure: the answer is checked
// against the shape the listener serves (status.ts) and `now` ages the times.

import type { Result } from "@exacast/core";
import { ageOf, err, formatTable, listCell, ok, validate } from "@exacast/core";
import { z } from "zod";

export const listenerStatusSchema = z.object({
  program: z.literal("exacast-listener").optional(),
  host: z.string().optional(),
  version: z.string().optional(),
  pid: z.number().optional(),
  started: z.string().optional(),
  services: z.record(z.string(), z.array(z.string())),
  backends: z.record(z.string(), z.array(z.unknown())),
  ports: z.array(z.number()),
  routes: z.number(),
  neighbors: z.array(z.object({ address: z.string(), state: z.string(), routes: z.number(), stale: z.number(), since: z.string().nullable().optional() })),
  templates: z.array(
    z.object({
      name: z.string(),
      destination: z.string(),
      last: z.object({ result: z.string(), at: z.string(), error: z.string().optional() }).nullable(),
    }),
  ),
  lines: z.object({ read: z.number(), skipped: z.number(), rejected: z.record(z.string(), z.number()), refused: z.number().optional() }),
});

/** What the tables read of GET /status (status.ts has all of it). */
export type StatusAnswer = z.output<typeof listenerStatusSchema>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Results that leave the destination as it was: they need a look. */
const FAILED = new Set(["template_error", "check_failed", "write_failed", "reload_failed"]);

/** The tables, or what in the answer is not as the listener serves it. */
export function formatListenerStatus(answer: unknown, now: number): Result<string, string[]> {
  const v = validate(listenerStatusSchema, answer);
  if (!v.ok) return err(v.error);
  const s = v.value;
  const rejected = Object.values(s.lines.rejected).reduce((a, b) => a + b, 0);
  const up = s.neighbors.filter((n) => n.state === "up").length;
  const failing = s.templates.filter((t) => t.last && FAILED.has(t.last.result)).length;
  const refused = s.lines.refused ? `, ${s.lines.refused} routes REFUSED (max_routes)` : "";
  const head = [
    `${s.version === undefined ? "exacast-listener" : `exacast-listener ${s.version}${s.host ? ` on ${s.host}` : ""}, pid ${s.pid ?? "?"}, up ${ageOf(s.started, now)}`}`,
    `Routes: ${plural(s.routes, "service route")} from ${plural(s.neighbors.length, "neighbor")} (${up} up), ${plural(s.ports.length, "service port")}`,
    `Lines read: ${s.lines.read} (${s.lines.skipped} skipped unparsed, ${rejected} rejected${refused}); templates: ${s.templates.length}${failing ? `, ${failing} FAILING` : ""}`,
  ];
  const neighbors = s.neighbors.map((n) => [n.address, n.state, n.since ? ageOf(n.since, now) : "-", n.routes, n.stale]);
  const services = s.ports.map((p) => {
    const prefixes = s.services[String(p)] ?? [];
    return [p, prefixes.length, s.backends[String(p)]?.length ?? 0, listCell(prefixes, 4)];
  });
  const templates = s.templates.map((t) => [t.name, t.last?.result ?? "not rendered yet", t.last ? ageOf(t.last.at, now) : "-", t.destination, t.last?.error ?? ""]);
  const out = [head.join("\n") + "\n"];
  out.push(neighbors.length === 0 ? "No neighbor seen yet.\n" : formatTable(["Neighbor", "State", "Since", "Routes", "Stale"], neighbors));
  out.push(services.length === 0 ? "No services.\n" : formatTable(["Port", "Prefixes", "Backends", "Services"], services));
  out.push(templates.length === 0 ? "No templates.\n" : formatTable(["Template", "Last render", "Ago", "Destination", "Error"], templates));
  return ok(out.join("\n"));
}
