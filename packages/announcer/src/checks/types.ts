// Health checks as validated specs and their results. A spec holds only values
// that went through the config schema; the adapters under checks/ run them.

import type { HostPort } from "@exacast/core";

export type CheckSpec =
  | { readonly kind: "tcp"; readonly target: HostPort }
  | {
      readonly kind: "udp";
      readonly target: HostPort;
      /** Bytes to send, hex. */
      readonly send: string;
      /** Bytes the reply must contain, hex; null: any reply passes. */
      readonly expect: string | null;
    }
  | {
      readonly kind: "http";
      readonly url: string;
      /** Accepted statuses; null: any 2xx. */
      readonly status: readonly number[] | null;
      readonly contains: string | null;
      readonly followRedirects: boolean;
      /** https: do not verify the server's certificate. */
      readonly insecure: boolean;
    }
  | {
      readonly kind: "exec";
      /** An argument vector, or one string for the shell (shell: true). */
      readonly command: readonly string[] | string;
      readonly shell: boolean;
    }
  | { readonly kind: "file_absent"; readonly path: string }
  | {
      readonly kind: "consul";
      /** The Consul service ID (or, failing that, name) whose checks must pass; null: the app's name. */
      readonly service: string | null;
    };

export type CheckKind = CheckSpec["kind"];

export interface CheckResult {
  readonly kind: CheckKind;
  readonly ok: boolean;
  /** Why it failed, or a short note of what passed. One line. */
  readonly reason: string;
  readonly latencyMs: number;
  /** A maintenance check (file_absent) that found its file. */
  readonly maintenance?: boolean;
}

/** A `consul` check's verdict, read from what the Consul watch last saw (no request per check). */
export type ConsulVerdict = (service: string) => { readonly ok: boolean; readonly reason: string };

/** What a check needs besides its spec. */
export interface CheckContext {
  readonly timeoutMs: number;
  /** The app's name, for exec checks' environment and the default Consul service. */
  readonly app: string;
  /** Present when Consul discovery is configured. */
  readonly consul?: ConsulVerdict;
}

export type CheckRunner = (spec: CheckSpec, ctx: CheckContext) => Promise<CheckResult>;

const hostPort = (t: HostPort) => (t.host.includes(":") ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`);

/** One line a person reads in `check` output and logs. */
export function describeCheck(c: CheckSpec): string {
  switch (c.kind) {
    case "tcp":
      return `tcp ${hostPort(c.target)}`;
    case "udp":
      return `udp ${hostPort(c.target)}${c.expect !== null ? ` expect ${c.expect}` : ""}`;
    case "http": {
      let s = `http ${c.url}`;
      if (c.status) s += ` status ${c.status.join("|")}`;
      if (c.contains !== null) s += ` contains ${JSON.stringify(c.contains)}`;
      if (c.followRedirects) s += " follow_redirects";
      if (c.insecure) s += " insecure";
      return s;
    }
    case "exec":
      return typeof c.command === "string" ? `exec (shell) ${JSON.stringify(c.command)}` : `exec ${JSON.stringify(c.command)}`;
    case "file_absent":
      return `file_absent ${c.path}`;
    case "consul":
      return c.service === null ? "consul (the service named as the app)" : `consul service ${JSON.stringify(c.service)}`;
  }
}

/** A result line: one line, bounded, printable (it goes to logs and the API). */
export function oneLine(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
