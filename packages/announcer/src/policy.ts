// The keys users of ExaBGP's healthcheck and anycast-healthchecker look for,
// resolved from a config level (the file's top level, an app) over the level
// below: what DOWN and DISABLED announce, the state-change hook and the route
// attributes beyond communities and MED. Each problem names its key.

import type { DegradeInput } from "./degraded.js";
import { resolveDegrade } from "./degraded.js";
import type { HookSpec } from "./hooks.js";
import type { Globals } from "./model.js";
import type { AttributeInput } from "./route-attributes.js";
import { NO_ATTRIBUTES, resolveAttributes } from "./route-attributes.js";

/** What a level may set (an app, or the file's top level). */
export interface PolicyInput extends AttributeInput {
  on_down?: DegradeInput;
  on_disabled?: DegradeInput;
  execute?: HookSpec | null;
}

export type Policies = Required<Pick<Globals, "onDown" | "onDisabled" | "execute" | "attributes">>;

export const NO_POLICIES: Policies = { onDown: null, onDisabled: null, execute: null, attributes: NO_ATTRIBUTES };

/**
 * A level's keys over `base`. `localAs` resolves a prepend count; `execRefused`
 * (HTTP, Consul without allow_exec) refuses a hook: it runs commands on the host.
 */
export function resolvePolicies(
  input: PolicyInput,
  base: Pick<Globals, "onDown" | "onDisabled" | "execute" | "attributes">,
  localAs: number | null,
  problems: string[],
  execRefused: string | null = null,
): Policies {
  const degrade = (key: "on_down" | "on_disabled", inherited: Policies["onDown"]) => {
    const r = resolveDegrade(input[key], inherited, localAs);
    if (typeof r !== "string") return r;
    problems.push(`${key}.${r}`);
    return null;
  };
  const onDown = degrade("on_down", base.onDown ?? null);
  const onDisabled = degrade("on_disabled", base.onDisabled ?? null);
  if (input.execute && execRefused !== null) problems.push(`execute: ${execRefused}`);
  return {
    onDown,
    onDisabled,
    execute: input.execute === undefined ? (base.execute ?? null) : input.execute,
    attributes: resolveAttributes(input, base.attributes ?? NO_ATTRIBUTES),
  };
}
