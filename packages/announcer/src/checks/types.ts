// What every check kind has in common: its result, what it needs besides its
// spec, and the shape of a kind module (kinds/…: schema, runner, description
// in one place; found by the registry in index.ts), as aioexabgp's health
// checkers are one class each behind one factory.

import type { HostPort } from "@exacast/core";
import type { z } from "zod";

export interface CheckResult {
  readonly kind: string;
  readonly ok: boolean;
  /** Why it failed, or a short note of what passed. One line. */
  readonly reason: string;
  readonly latencyMs: number;
  /** Maintenance: a file_absent check that found its file, or Consul maintenance mode. */
  readonly maintenance?: boolean;
}

/** A `consul` check's verdict, read from what the Consul watch last saw (no request per check). */
export type ConsulVerdict = (service: string) => { readonly ok: boolean; readonly reason: string; readonly maintenance?: boolean };

/** What a check needs besides its spec. */
export interface CheckContext {
  readonly timeoutMs: number;
  /** The app's name, for exec checks' environment and the default Consul service. */
  readonly app: string;
  /** Present when Consul discovery is configured. */
  readonly consul?: ConsulVerdict;
}

/** One kind of check. A spec holds only values that went through its schema. */
export interface CheckKind<S extends { readonly kind: string }> {
  readonly kind: S["kind"];
  /** The value under the kind's key in `checks:` (short and long forms) → its spec. */
  readonly schema: z.ZodType<S>;
  run(spec: S, ctx: CheckContext): Promise<CheckResult>;
  /** One line a person reads in `check` output, logs and the API. */
  describe(spec: S): string;
  /** The spec with its relative file paths made absolute against `baseDir` (the config file's folder). */
  resolvePaths?(spec: S, baseDir: string): S;
}

export const hostPortText = (t: HostPort) => (t.host.includes(":") ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`);

/** A result line: one line, bounded, printable (it goes to logs and the API). */
export function oneLine(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A result timed from `start` (performance.now()). */
export const resultFrom = (kind: string, start: number) => (ok: boolean, reason: string): CheckResult => ({ kind, ok, reason, latencyMs: performance.now() - start });
