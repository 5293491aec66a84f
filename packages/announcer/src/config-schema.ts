// The announcer's config file as the contract fixes it, in zod. Every value
// that can reach ExaBGP's stdin (prefixes, addresses, communities, integers)
// goes through a core schema that turns it into a validated value.

import type { IpAddress } from "@exacast/core";
import {
  communityAsnSchema,
  communitySchema,
  durationSchema,
  logFormatSchema,
  logLevelSchema,
  nameSchema,
  portSchema,
  prefixSchema,
  parseAddress,
  u32Schema,
} from "@exacast/core";
import { z } from "zod";
import { checkSchema } from "./check-schema.js";

const count = (what: string) =>
  z
    .number({ error: `expected a number of ${what} 1..1000` })
    .int(`expected a number of ${what} 1..1000`)
    .min(1, `expected a number of ${what} 1..1000`)
    .max(1000, `expected a number of ${what} 1..1000`);

const atLeast = (ms: number, label: string) =>
  durationSchema.refine((v) => v >= ms, `${label} must be at least ${ms}ms`);

/** Timers and route attributes an app may set for itself. */
const overrideShape = {
  interval: atLeast(10, "interval").optional(),
  fast_interval: atLeast(10, "fast_interval").optional(),
  timeout: atLeast(1, "timeout").optional(),
  rise: count("consecutive successes").optional(),
  fall: count("consecutive failures").optional(),
  splay: durationSchema.optional(),
  communities: z.array(communitySchema).max(64, "at most 64 communities").optional(),
  med: u32Schema.nullable().optional(),
  local_pref: u32Schema.nullable().optional(),
};

/** One app, as in `apps:` (and, later, the body of PUT /v1/apps/{name}). */
export const appSchema = z
  .strictObject({
    name: nameSchema,
    vip: prefixSchema.optional(),
    vips: z.array(prefixSchema).min(1, "expected at least one prefix").max(64, "at most 64 VIPs per app").optional(),
    ports: z.array(portSchema).max(512, "at most 512 ports per app").optional(),
    checks: z.array(checkSchema).max(32, "at most 32 checks per app").optional(),
    ...overrideShape,
  })
  .superRefine((a, ctx) => {
    if ((a.vip === undefined) === (a.vips === undefined)) {
      ctx.addIssue({ code: "custom", path: ["vip"], message: "expected exactly one of vip or vips" });
    }
    const seen = new Set<string>();
    (a.vips ?? []).forEach((p, i) => {
      if (seen.has(p.text)) ctx.addIssue({ code: "custom", path: ["vips", i], message: `duplicate VIP ${p.text}` });
      seen.add(p.text);
    });
  });

export type AppInput = z.output<typeof appSchema>;

const NEXT_HOP_HELP = "expected self, an IP address, or one address per family like [192.0.2.2, 2001:db8::2]";

/** `self`, an address, or one address per family: [192.0.2.2, 2001:db8::2]. */
const nextHopSchema = z.unknown().transform((v, ctx): "self" | IpAddress[] => {
  if (v === "self") return "self";
  const list = Array.isArray(v) ? v : [v];
  if (list.length < 1 || list.length > 2) {
    ctx.addIssue({ code: "custom", message: NEXT_HOP_HELP });
    return z.NEVER;
  }
  const out: IpAddress[] = [];
  list.forEach((item, i) => {
    const a = typeof item === "string" ? parseAddress(item) : null;
    if (!a?.ok) ctx.addIssue({ code: "custom", path: Array.isArray(v) ? [i] : [], message: `${a ? a.error : "not a string"}; ${NEXT_HOP_HELP}` });
    else if (out.some((b) => b.family === a.value.family)) ctx.addIssue({ code: "custom", path: [i], message: "at most one next-hop per address family" });
    else out.push(a.value);
  });
  return out;
});

function notYet(what: string) {
  return z
    .unknown()
    .optional()
    .superRefine((v, ctx) => {
      if (v !== undefined && v !== null) ctx.addIssue({ code: "custom", message: `${what} is not supported by this version; remove the key or set it to null` });
    });
}

export const configSchema = z.strictObject({
  community_asn: communityAsnSchema.optional(),
  next_hop: nextHopSchema.optional(),
  ...overrideShape,
  ack: z.boolean().optional(),
  drain_file: z.string().min(1).max(4096).nullable().optional(),
  drain_time: durationSchema.optional(),
  manage_loopback: z.boolean().optional(),
  log_format: logFormatSchema.optional(),
  log_level: logLevelSchema.optional(),
  http: notYet("the HTTP registration API"),
  consul: notYet("Consul discovery"),
  apps: z.array(appSchema).max(100_000).optional(),
});

export type ConfigInput = z.output<typeof configSchema>;
