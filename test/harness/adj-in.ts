// What a GoBGP route server holds from one neighbor, as the announcer tests
// read it: prefix → its communities joined by spaces; and a bounded wait for
// that table to satisfy a probe, whose error shows the last table seen.

import type { GoBgp } from "./gobgp.js";
import { waitFor } from "./wait.js";

export type AdjInTable = Record<string, string>;

export async function adjInCommunities(rs: GoBgp, neighbor: string): Promise<AdjInTable> {
  return Object.fromEntries((await rs.adjIn(neighbor)).map((r) => [r.prefix, r.communities.join(" ")]));
}

/** Waits for `probe` to hold over the adj-in from `neighbor`; milliseconds since `t0`. */
export async function untilAdjIn(
  rs: GoBgp,
  neighbor: string,
  probe: (t: AdjInTable) => boolean,
  what: string,
  opts: { t0?: number; timeout?: number } = {},
): Promise<number> {
  const t0 = opts.t0 ?? performance.now();
  let last: AdjInTable = {};
  try {
    await waitFor(
      async () => {
        last = await adjInCommunities(rs, neighbor);
        return probe(last);
      },
      { what, timeout: opts.timeout ?? 10_000, interval: 10 },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last adj-in ${JSON.stringify(last)}`);
  }
  return performance.now() - t0;
}
