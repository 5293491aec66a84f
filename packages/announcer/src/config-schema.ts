// The announcer's config file as the contract fixes it, in zod. Every value
// that can reach ExaBGP's stdin (prefixes, addresses, communities, integers)
// goes through a core schema that turns it into a validated value.

import type { HostPort, IpAddress } from "@exacast/core";
import {
  DEFAULT_COMMUNITY_ASN,
  communityAsnSchema,
  communitySchema,
  durationSchema,
  hostPortSchema,
  logFormatSchema,
  logLevelSchema,
  nameSchema,
  parseHostPort,
  portSchema,
  prefixSchema,
  parseAddress,
  tokenSchema,
  u32Schema,
} from "@exacast/core";
import { z } from "zod";
import { checkSchema } from "./check-schema.js";
import { natListSchema } from "./nat-rules.js";
import { degradeSchema } from "./degraded.js";
import { hookSchema } from "./hooks.js";
import { attributeShape } from "./route-attributes.js";

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
  nat: natListSchema.optional(),
  // What DOWN and DISABLED announce (degraded.ts) and the state-change hook (hooks.ts).
  on_down: degradeSchema.optional(),
  on_disabled: degradeSchema.optional(),
  execute: hookSchema.optional(),
  // large/extended communities, origin, as_path, path_id, neighbors (route-attributes.ts).
  ...attributeShape,
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

const fileSchema = z.string().min(1).max(4096).refine((s) => !s.includes("\0"), "NUL byte in path");

/** Defaults of the `http:` and `consul:` blocks (exported for status and the environment fallbacks). */
export const HTTP_DEFAULT_LISTEN: HostPort = { host: "127.0.0.1", port: 9179 };
export const CONSUL_DEFAULTS = { address: "127.0.0.1:8500", tag: "exacast", interval: 1000, wait: 30_000, hold: 30_000 } as const;

/** `http:` — the registration API, /metrics and /status. */
export const httpConfigSchema = z.strictObject({
  listen: hostPortSchema.default(HTTP_DEFAULT_LISTEN),
  token: tokenSchema.nullable().default(null),
  // Unset: a file in state_dir; null: none (so not a default here).
  state_file: fileSchema.nullable().optional(),
  allow_exec: z.boolean().default(false),
  /** GoCast's cleanup_timer: an HTTP app withdrawn this long is dropped. */
  cleanup_after: durationSchema.refine((v) => v >= 1000, "cleanup_after must be at least 1s").nullable().default(null),
});

/** Where the Consul agent is: `host:port` or `http(s)://host:port` (as CONSUL_HTTP_ADDR). */
export interface ConsulAddress {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
}

export function parseConsulAddress(text: string): ConsulAddress | string {
  // GoCast's consul_addr ends in /v1 (it appends the API paths to it): taken as the same agent.
  const m = /^(?:(https?):\/\/)?(.+?)(?:\/v1)?\/?$/.exec(text.trim());
  const bad = `expected host:port or http(s)://host:port (a trailing /v1 is allowed), got ${JSON.stringify(text)}`;
  if (!m) return bad;
  const hp = parseHostPort(m[2]!);
  if (!hp.ok) return bad;
  return { secure: m[1] === "https", host: hp.value.host, port: hp.value.port };
}

export const consulAddressSchema = z.string().transform((v, ctx): ConsulAddress => {
  const a = parseConsulAddress(v);
  if (typeof a === "string") {
    ctx.addIssue({ code: "custom", message: a });
    return z.NEVER;
  }
  return a;
});

/** `consul:` — discovery of the local agent's services. */
export const consulConfigSchema = z.strictObject({
  address: consulAddressSchema.optional(),
  node: z
    .string()
    .min(1)
    .max(256, "at most 256 characters")
    .regex(/^[^\s/?#%]+$/, "expected a Consul node name (no spaces, /, ?, # or %)")
    .optional(),
  token: tokenSchema.nullable().optional(),
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "expected 1-64 characters of A-Z a-z 0-9 _ . : -")
    .default(CONSUL_DEFAULTS.tag),
  interval: durationSchema.refine((v) => v >= 100 && v <= 600_000, "interval must be 100ms..10m").default(CONSUL_DEFAULTS.interval),
  wait: durationSchema.refine((v) => v >= 1000 && v <= 600_000, "wait must be 1s..10m (Consul's limit)").default(CONSUL_DEFAULTS.wait),
  hold: durationSchema.refine((v) => v <= 86_400_000, "hold must be at most 24h").default(CONSUL_DEFAULTS.hold),
  // address, node, token and stale: unset falls back to Consul's environment variables (config.ts).
  stale: z.boolean().optional(),
  allow_exec: z.boolean().default(false),
});

export const configSchema = z.strictObject({
  community_asn: communityAsnSchema.default(DEFAULT_COMMUNITY_ASN),
  next_hop: nextHopSchema.default("self"),
  ...overrideShape,
  ack: z.boolean().default(true),
  // Which ExaBGP API to speak (`auto`: learnt from ExaBGP; 4: `announce …`; 6: `peer * announce …`).
  exabgp_api: z
    .preprocess((v) => (typeof v === "number" ? String(v) : v), z.enum(["auto", "4", "6"], { error: "expected auto, 4 or 6" }))
    .transform((v) => (v === "auto" ? v : (Number(v) as 4 | 6)))
    .default("auto"),
  drain_file: z.string().min(1).max(4096).nullable().default(null),
  drain_time: durationSchema.default(0),
  state_dir: fileSchema.optional(),
  announced_file: fileSchema.nullable().optional(),
  // false | announced (on lo while announced; true says the same) | always (on lo from start to exit).
  manage_loopback: z
    .union([z.boolean(), z.enum(["announced", "always"])], { error: "expected false, announced or always" })
    .transform((v) => (v === true ? "announced" : v))
    .default(false),
  // Linux `ip address … label lo:<label>`: marks the addresses as ours (IPv4; the kernel labels no IPv6 address).
  loopback_label: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,12}$/, "expected 1-12 characters of A-Z a-z 0-9 _ . - (the kernel allows lo: and 12 more)")
    .nullable()
    .default(null),
  local_as: z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 0xffffffff, "expected an AS number 1..4294967295").nullable().default(null),
  nat_backend: z.enum(["auto", "nftables", "iptables"], { error: "expected auto, nftables or iptables" }).default("auto"),
  log_format: logFormatSchema.default("text"),
  log_level: logLevelSchema.default("info"),
  http: httpConfigSchema.nullable().default(null),
  consul: consulConfigSchema.nullable().default(null),
  apps: z.array(appSchema).max(100_000).default([]),
});

export type ConfigInput = z.output<typeof configSchema>;
