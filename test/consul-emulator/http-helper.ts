// A plain HTTP call for the emulator's tests, without a Consul client in the
// way: status, headers and body exactly as sent.

import type { ConsulEmulator } from "./index.js";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(c: ConsulEmulator, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers["X-Consul-Token"] = opts.token;
  const body = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  const started = Date.now();
  const res = await fetch(`${c.url}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, ms: Date.now() - started };
}

export const get = (c: ConsulEmulator, path: string, opts?: CallOptions) => call(c, "GET", path, opts);
export const put = (c: ConsulEmulator, path: string, opts?: CallOptions) => call(c, "PUT", path, opts);
