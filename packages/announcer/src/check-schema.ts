// The `checks:` entries of an app: an object with exactly one key naming the
// kind. Each kind has its own schema; problems keep their path
// (`apps[0].checks[1].http.status: …`).

import { hostPortSchema, parseHostPort } from "@exacast/core";
import { z } from "zod";
import type { CheckSpec } from "./checks/types.js";

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const hexSchema = z
  .string()
  .max(2 * 65507, "at most 65507 bytes (one UDP datagram)")
  .regex(HEX, "expected hex bytes, e.g. 0a1b2c (an even number of 0-9 a-f)")
  .transform((s) => s.toLowerCase());

const statusSchema = z
  .number()
  .int("expected an HTTP status 100..599")
  .min(100, "expected an HTTP status 100..599")
  .max(599, "expected an HTTP status 100..599");

const urlSchema = z.string().transform((s, ctx): string => {
  let u: URL;
  try {
    if (/\s/.test(s)) throw new Error("blank");
    u = new URL(s);
  } catch {
    ctx.addIssue({ code: "custom", message: `expected an http:// or https:// URL, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: `expected an http:// or https:// URL, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return u.href;
});

const httpObject = z.strictObject({
  url: urlSchema,
  status: z.union([statusSchema, z.array(statusSchema).min(1)]).optional(),
  contains: z.string().min(1).max(4096, "at most 4096 characters").optional(),
  follow_redirects: z.boolean().optional(),
  insecure: z.boolean().optional(),
});

const udpObject = z.strictObject({
  address: hostPortSchema,
  send: hexSchema.optional(),
  expect: hexSchema.refine((s) => s.length > 0, "expected at least one byte; leave expect out to accept any reply").optional(),
});

const argvSchema = z
  .array(z.string().min(1, "expected a non-empty argument").max(4096).refine((s) => !s.includes("\0"), "NUL byte in argument"))
  .min(1, "expected the program and its arguments, e.g. [/usr/local/bin/check-web, --fast]")
  .max(256);

const execObject = z
  .strictObject({
    command: z.union([z.string().min(1).max(4096), argvSchema]),
    shell: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (typeof v.command === "string" && v.shell !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["command"],
        message: "a command string runs through /bin/sh only with shell: true; otherwise give an argument array",
      });
    }
  });

const pathSchema = z
  .string()
  .min(1, "expected a file path")
  .max(4096)
  .refine((s) => !s.includes("\0"), "NUL byte in path");

const udpShort = z.string().transform((s, ctx) => {
  const hp = parseHostPort(s);
  if (!hp.ok) {
    ctx.addIssue({ code: "custom", message: hp.error });
    return z.NEVER;
  }
  return { address: hp.value };
});

// Consul service IDs are free-form; this one is only looked up, never written anywhere.
const consulServiceSchema = z
  .string()
  .min(1, "expected a Consul service ID or name")
  .max(256, "at most 256 characters")
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "control characters in a service ID");

const consulObject = z.strictObject({ service: consulServiceSchema.optional() });

// Each kind turns its short and long forms into a CheckSpec.
const KINDS = {
  tcp: hostPortSchema.transform((target): CheckSpec => ({ kind: "tcp", target })),
  udp: z.union([udpShort, udpObject]).transform(
    (u): CheckSpec => ({ kind: "udp", target: u.address, send: ("send" in u ? u.send : undefined) ?? "", expect: ("expect" in u ? u.expect : undefined) ?? null }),
  ),
  http: z.union([urlSchema.transform((url) => ({ url })), httpObject]).transform((h): CheckSpec => {
    const full: z.output<typeof httpObject> = h;
    const status = full.status === undefined ? null : Array.isArray(full.status) ? [...new Set(full.status)] : [full.status];
    return {
      kind: "http",
      url: full.url,
      status,
      contains: full.contains ?? null,
      followRedirects: full.follow_redirects ?? false,
      insecure: full.insecure ?? false,
    };
  }),
  exec: z
    .union([argvSchema.transform((command) => ({ command, shell: false })), execObject])
    .transform((e): CheckSpec => ({ kind: "exec", command: e.command, shell: e.shell ?? false })),
  file_absent: pathSchema.transform((path): CheckSpec => ({ kind: "file_absent", path })),
  // `consul: {}` (or a bare `consul:`): the Consul service named as the app; `consul: { service: ID }`.
  consul: z.union([z.null(), consulObject]).transform((c): CheckSpec => ({ kind: "consul", service: c?.service ?? null })),
} as const;

export type CheckKindName = keyof typeof KINDS;
export const CHECK_KINDS = Object.keys(KINDS) as CheckKindName[];

const kindList = CHECK_KINDS.join(", ");

/** One entry of `checks:` → a CheckSpec (file paths as written); issues get the kind in their path. */
export const checkSchema = z.unknown().transform((v, ctx): CheckSpec => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: "custom", message: `expected a check: an object with one of ${kindList}` });
    return z.NEVER;
  }
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    ctx.addIssue({ code: "custom", message: `expected exactly one check kind (${kindList}), got ${keys.length === 0 ? "none" : keys.map((k) => (/^\w{1,32}$/.test(k) ? k : JSON.stringify(k.slice(0, 32)))).join(", ")}` });
    return z.NEVER;
  }
  const kind = keys[0]!;
  if (!(kind in KINDS)) {
    ctx.addIssue({ code: "custom", path: [kind], message: `unknown check kind; expected one of ${kindList}` });
    return z.NEVER;
  }
  const r = KINDS[kind as CheckKindName].safeParse((v as Record<string, unknown>)[kind]);
  if (!r.success) {
    for (const issue of bestIssues(r.error.issues)) {
      ctx.addIssue({ code: "custom", path: [kind, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], message: issue.message });
    }
    return z.NEVER;
  }
  return r.data;
});

type Issue = z.core.$ZodIssue;

// The short forms (a string) and the long forms (an object) are unions: the
// member that got furthest names the problem best.
function bestIssues(issues: readonly Issue[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const depth = (l: readonly Issue[]) => Math.max(0, ...l.map((i) => i.path.length));
      const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      out.push(...bestIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
    } else out.push(issue);
  }
  return out;
}
