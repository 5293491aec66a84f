// What DOWN and DISABLED mean for the routes (`on_down`, `on_disabled`):
// `withdraw` (the default), or keep announcing de-preferred — ExaBGP
// healthcheck's default mode (a DOWN route with `med 1000`), used for
// last-resort anycast: when every host of a VIP is down, traffic still goes
// somewhere.
//
// A de-preferred route carries the app's own route attributes (its
// `communities`, which routing policy may match on), the policy's MED, AS-path
// prepend and communities — and never the `<community_asn>:<port>` service
// communities: those say "this port is served here", and a listener that
// renders them would send traffic to an app that is down. An UP app on the
// same VIP always wins: the VIP is then announced as usual.

import type { Community } from "@exacast/core";
import { communitySchema, u32Schema } from "@exacast/core";
import { z } from "zod";

/** A resolved `on_down` / `on_disabled` that keeps announcing. */
export interface Degrade {
  readonly med: number | null;
  /** ASNs put in front of the AS path (a count is resolved with local_as). */
  readonly asPathPrepend: readonly number[];
  readonly communities: readonly Community[];
  /**
   * A prepend given as a count: local_as, kept after it when the route has
   * no AS path of its own. ExaBGP sends an AS path it is given as it is, and
   * puts its own AS in an empty one only towards eBGP peers: so that a count
   * of N makes the route N hops longer than the usual [local_as], the path
   * becomes [local_as × (N + 1)].
   */
  readonly ownAs?: number | null;
}

/** `on_down` / `on_disabled` as written: `withdraw`, or the de-preferred route's attributes. */
export type DegradeInput = "withdraw" | { med?: number; as_path_prepend?: number | number[]; communities?: Community[] };

const asnSchema = z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 0xffffffff, "expected an AS number 1..4294967295");

const degradeObject = z.strictObject({
  med: u32Schema.optional(),
  as_path_prepend: z
    .union([
      z.number().int("expected a count 1..10 or a list of AS numbers").min(1, "expected a count 1..10").max(10, "at most 10 prepends"),
      z.array(asnSchema).min(1).max(10, "at most 10 prepends"),
    ])
    .optional(),
  communities: z.array(communitySchema).max(64, "at most 64 communities").optional(),
});

const DEGRADE_HELP = "expected withdraw, or { med, as_path_prepend, communities } to keep announcing de-preferred";

export const degradeSchema = z.unknown().transform((v, ctx): DegradeInput => {
  if (v === "withdraw") return v;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: "custom", message: DEGRADE_HELP });
    return z.NEVER;
  }
  const r = degradeObject.safeParse(v);
  if (r.success) return r.data;
  forwardIssues(r.error.issues, [], (path, message) => ctx.addIssue({ code: "custom", path, message }));
  return z.NEVER;
});

type Issue = z.core.$ZodIssue;

/** Issues of an inner parse, with their paths; of a union, those of the member that got furthest. */
export function forwardIssues(issues: readonly Issue[], base: PropertyKey[], add: (path: (string | number)[], message: string) => void): void {
  for (const i of issues) {
    const path = [...base, ...i.path];
    if (i.code === "invalid_union" && i.errors.length > 0) {
      const depth = (l: readonly Issue[]) => Math.max(0, ...l.map((x) => x.path.length));
      forwardIssues(i.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a)), path, add);
    } else add(path.map((p) => (typeof p === "symbol" ? String(p) : p)), i.message);
  }
}

/** An input policy → Degrade (null: withdraw), or the problem (a prepend count without local_as). */
export function resolveDegrade(d: DegradeInput | undefined, inherited: Degrade | null, localAs: number | null): Degrade | null | string {
  if (d === undefined) return inherited;
  if (d === "withdraw") return null;
  let asPathPrepend: number[] = [];
  let ownAs: number | null = null;
  if (typeof d.as_path_prepend === "number") {
    if (localAs === null) return "as_path_prepend: a count needs local_as (the AS ExaBGP speaks as), or give the AS numbers, e.g. [65000, 65000]";
    asPathPrepend = Array.from({ length: d.as_path_prepend }, () => localAs);
    ownAs = localAs;
  } else if (d.as_path_prepend) asPathPrepend = [...d.as_path_prepend];
  return { med: d.med ?? null, asPathPrepend, communities: d.communities ?? [], ownAs };
}

/**
 * Several apps on one VIP keep it de-preferred: the least de-preferred of
 * their routes (lowest MED, shortest prepend, first by number on a tie) and
 * the union of their communities, so the result does not depend on app order.
 */
export function mergeDegrades(list: readonly Degrade[]): Degrade {
  let med: number | null = null;
  let prepend: Degrade | null = null;
  for (const d of list) {
    if (d.med !== null) med = med === null ? d.med : Math.min(med, d.med);
    if (prepend === null || shorterPath(d.asPathPrepend, prepend.asPathPrepend)) prepend = d;
  }
  return { med, asPathPrepend: prepend?.asPathPrepend ?? [], communities: list.flatMap((d) => d.communities), ownAs: prepend?.ownAs ?? null };
}

/** A de-preferred route's AS path: the prepend, then the route's own (or, for a count, local_as where it has none). */
export function degradedPath(d: Degrade, asPath: readonly number[]): number[] {
  if (d.asPathPrepend.length === 0) return [...asPath];
  return [...d.asPathPrepend, ...(asPath.length > 0 ? asPath : d.ownAs ? [d.ownAs] : [])];
}

function shorterPath(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return a.length < b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** The policy an app's VIPs follow now: its settled DOWN or DISABLED keeps announcing (null: it does not). */
export function degradeNow(
  spec: { readonly onDown?: Degrade | null; readonly onDisabled?: Degrade | null },
  state: { readonly serving: boolean; readonly settled: "UP" | "DOWN" | "DISABLED" | null },
): Degrade | null {
  if (state.serving) return null;
  if (state.settled === "DOWN") return spec.onDown ?? null;
  if (state.settled === "DISABLED") return spec.onDisabled ?? null;
  return null;
}
