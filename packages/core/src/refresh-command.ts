// The one command the listener writes to ExaBGP: a route refresh (RFC 2918),
// asking one neighbor (or every established one) to send its routes of a
// family again. Built only from a validated address and a fixed family; the
// finished line is checked against its grammar.
//
// ExaBGP 4.2 and 5.0 (and 6 with exabgp.api.version=4) take
// `[neighbor <ip>] announce route-refresh <afi> <safi>`; ExaBGP 6's own API
// takes `peer <ip>|* announce route-refresh <afi> <safi>`. ExaBGP sends it
// only to established neighbors with `capability { route-refresh; }`, and
// answers `error` when none matches.

import type { IpAddress } from "./ip.js";
import { parseAddress } from "./ip.js";
import type { Result } from "./result.js";
import { err, ok } from "./result.js";

export type RefreshFamily = "ipv4 unicast" | "ipv6 unicast";
export const REFRESH_FAMILIES: readonly RefreshFamily[] = ["ipv4 unicast", "ipv6 unicast"];

/** Which text API ExaBGP speaks: 4 (4.2, 5.0, 6 with api.version=4) or 6. */
export type ApiSyntax = 4 | 6;

export const REFRESH_LINE = /^(?:(?:neighbor|peer) [0-9a-f.:]+ |peer \* )?announce route-refresh ipv[46] unicast$/;

export function buildRouteRefresh(family: RefreshFamily, opts: { readonly neighbor?: IpAddress; readonly api: ApiSyntax }): Result<string> {
  if (!REFRESH_FAMILIES.includes(family)) return err(`route refresh: unknown family ${JSON.stringify(family)}`);
  let target = opts.api === 6 ? "peer * " : "";
  if (opts.neighbor !== undefined) {
    const a = typeof opts.neighbor.text === "string" ? parseAddress(opts.neighbor.text) : null;
    if (!a?.ok || a.value.text !== opts.neighbor.text) return err("route refresh: neighbor is not a validated address");
    target = `${opts.api === 6 ? "peer" : "neighbor"} ${a.value.text} `;
  }
  const line = `${target}announce route-refresh ${family}`;
  return REFRESH_LINE.test(line) ? ok(line) : err(`route refresh: refused to write ${JSON.stringify(line)}`);
}
