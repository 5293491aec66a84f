// http/https check: a GET answered with an accepted status (any 2xx unless
// told), and, with `contains`, a body holding that text within its first
// 64 KiB. Redirects are judged as they are unless follow_redirects (at most 5,
// within the same timeout). No connection reuse: each check is a new
// connection, as a client arriving would make.

import { request as httpRequest } from "node:http";
import type { IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { z } from "zod";
import type { CheckKind, CheckResult } from "./types.js";

export interface HttpSpec {
  readonly kind: "http";
  readonly url: string;
  /** Accepted statuses; null: any 2xx. */
  readonly status: readonly number[] | null;
  readonly contains: string | null;
  readonly followRedirects: boolean;
  /** https: do not verify the server's certificate. */
  readonly insecure: boolean;
}

const statusSchema = z
  .number()
  .int("expected an HTTP status 100..599")
  .min(100, "expected an HTTP status 100..599")
  .max(599, "expected an HTTP status 100..599");

const urlSchema = z.string().transform((s, ctx): string => {
  let u: URL | undefined;
  try {
    if (!/\s/.test(s)) u = new URL(s);
  } catch {
    /* said below */
  }
  if (u?.protocol !== "http:" && u?.protocol !== "https:") {
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

export const http: CheckKind<HttpSpec> = {
  kind: "http",
  // `http: URL`, or the object.
  schema: z.union([urlSchema.transform((url) => ({ url })), httpObject]).transform((h): HttpSpec => {
    const full: z.output<typeof httpObject> = h;
    const status = full.status === undefined ? null : Array.isArray(full.status) ? [...new Set(full.status)] : [full.status];
    return { kind: "http", url: full.url, status, contains: full.contains ?? null, followRedirects: full.follow_redirects ?? false, insecure: full.insecure ?? false };
  }),
  run: (spec, ctx) => httpCheck(spec, ctx.timeoutMs),
  describe(spec) {
    let s = `http ${spec.url}`;
    if (spec.status) s += ` status ${spec.status.join("|")}`;
    if (spec.contains !== null) s += ` contains ${JSON.stringify(spec.contains)}`;
    if (spec.followRedirects) s += " follow_redirects";
    if (spec.insecure) s += " insecure";
    return s;
  },
};

const MAX_BODY = 64 * 1024;
const MAX_REDIRECTS = 5;

export async function httpCheck(spec: HttpSpec, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  const deadline = start + timeoutMs;
  const result = (ok: boolean, reason: string): CheckResult => ({ kind: "http", ok, reason, latencyMs: performance.now() - start });
  let url = spec.url;
  for (let hop = 0; ; hop++) {
    const r = await fetchOnce(url, spec, deadline - performance.now());
    if (r.error !== undefined) return result(false, r.error);
    const { status, location, body } = r;
    if (spec.followRedirects && status >= 300 && status < 400 && location) {
      if (hop >= MAX_REDIRECTS) return result(false, `more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return result(false, `status ${status} with an invalid Location`);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") return result(false, `redirect to ${next.protocol} refused`);
      url = next.href;
      continue;
    }
    const accepted = spec.status ? spec.status.includes(status) : status >= 200 && status < 300;
    if (!accepted) return result(false, `status ${status}, expected ${spec.status ? spec.status.join(" or ") : "2xx"}`);
    if (spec.contains !== null && !body.includes(spec.contains)) {
      return result(false, `status ${status} but the body does not contain ${JSON.stringify(spec.contains)}`);
    }
    return result(true, `status ${status}`);
  }
}

type Fetched = { error: string } | { error?: undefined; status: number; location: string | undefined; body: string };

function fetchOnce(url: string, spec: HttpSpec, remainingMs: number): Promise<Fetched> {
  if (remainingMs <= 0) return Promise.resolve({ error: "timed out" });
  const timeoutMs = Math.ceil(remainingMs);
  return new Promise((resolve) => {
    let done = false;
    const finish = (f: Fetched) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(f);
    };
    const https = url.startsWith("https:");
    const options = {
      method: "GET",
      agent: false as const,
      headers: { "user-agent": "exacast-announcer", accept: "*/*", connection: "close" },
      ...(https ? { rejectUnauthorized: !spec.insecure } : {}),
    };
    const onResponse = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (spec.contains === null || (spec.followRedirects && status >= 300 && status < 400 && location)) {
        finish({ status, location, body: "" });
        return;
      }
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.includes(spec.contains!) || body.length >= MAX_BODY) finish({ status, location, body: body.slice(0, MAX_BODY) });
      });
      res.on("end", () => finish({ status, location, body }));
      res.on("error", (e) => finish({ error: `reading the body: ${e.message}` }));
    };
    const req = https ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs}ms` }), timeoutMs);
    req.on("error", (e: NodeJS.ErrnoException) => finish({ error: e.code === "ECONNREFUSED" ? "connection refused" : `${e.code ?? "error"}: ${e.message}` }));
    req.end();
  });
}
