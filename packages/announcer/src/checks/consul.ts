// consul check: the Consul agent's checks of a service (and of the node) are
// all passing. No request per check: the verdict is read from what the Consul
// watch last saw (consul/health.ts).

import { z } from "zod";
import type { CheckContext, CheckKind, CheckResult } from "./types.js";
import { oneLine, resultFrom } from "./types.js";

export interface ConsulSpec {
  readonly kind: "consul";
  /** The Consul service ID (or, failing that, name) whose checks must pass; null: the app's name. */
  readonly service: string | null;
}

// Consul service IDs are free-form; this one is only looked up, never written anywhere.
const serviceSchema = z
  .string()
  .min(1, "expected a Consul service ID or name")
  .max(256, "at most 256 characters")
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "control characters in a service ID");

export function consulCheck(spec: ConsulSpec, ctx: CheckContext): CheckResult {
  const result = resultFrom("consul", performance.now());
  const service = spec.service ?? ctx.app;
  const v = ctx.consul ? ctx.consul(service) : { ok: false, reason: "Consul discovery is not configured (consul: in the config)" };
  // Consul maintenance mode disables the app, as a maintenance file does.
  return { ...result(v.ok, oneLine(v.reason)), ...(v.maintenance ? { maintenance: true } : {}) };
}

export const consul: CheckKind<ConsulSpec> = {
  kind: "consul",
  // `consul: {}` (or a bare `consul:`): the Consul service named as the app; `consul: { service: ID }`.
  schema: z.union([z.null(), z.strictObject({ service: serviceSchema.optional() })]).transform((c): ConsulSpec => ({ kind: "consul", service: c?.service ?? null })),
  run: async (spec, ctx) => consulCheck(spec, ctx),
  describe: (spec) => (spec.service === null ? "consul (the service named as the app)" : `consul service ${JSON.stringify(spec.service)}`),
};
