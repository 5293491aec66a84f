// Lines from ExaBGP that are not routes but say how to re-learn them: the
// answers to our route-refresh commands (`done`/`error`, or 5.0/6's JSON
// answers), `negotiated` messages (whether a neighbor takes route refresh,
// enhanced or not, and its families; `api { negotiated; }`), and ROUTE-REFRESH
// messages a neighbor sends (RFC 7313's Begin/End of Route Refresh markers;
// `receive { refresh; }`). Recognised without parsing the routes' lines: an
// update's type is read from the message head, and only these rare types are
// parsed.

import { z } from "zod";
import type { RefreshFamily } from "@exacast/core";
import { parseAddress, REFRESH_FAMILIES } from "@exacast/core";

export type RefreshCapability = "absent" | "normal" | "enhanced";

export type SessionLine =
  | { readonly kind: "ack"; readonly answer: "done" | "error" | "shutdown" }
  | { readonly kind: "negotiated"; readonly neighbor: string; readonly refresh: RefreshCapability | undefined; readonly families: RefreshFamily[]; readonly version: string }
  | { readonly kind: "refresh"; readonly neighbor: string; readonly family: string; readonly subtype: string }
  /** One of these types, but not readable: logged by the caller, never fatal. */
  | { readonly kind: "bad"; readonly error: string };

const TYPE = '"type": "';
const ANSWERS = new Set(["done", "error", "shutdown"]);

const Neighbor = z.object({ address: z.object({ peer: z.string() }) });
const Negotiated = z.object({
  exabgp: z.string(),
  neighbor: Neighbor.extend({
    negotiated: z.object({ refresh: z.string().optional(), families: z.array(z.string()).optional() }),
  }),
});
const Refresh = z.object({
  neighbor: Neighbor.extend({
    direction: z.string().optional(),
    "route-refresh": z.object({ afi: z.string(), safi: z.string(), subtype: z.string() }),
  }),
});
const Answer = z.object({ answer: z.string() });

/** The line as one of these, or undefined: a line for the RIB. */
export function sessionLine(text: string): SessionLine | undefined {
  if (text.length <= 8 && ANSWERS.has(text)) return { kind: "ack", answer: text as "done" };
  if (text.charCodeAt(0) !== 0x7b) return undefined;
  if (text.length < 120 && text.startsWith('{ "answer"')) return answer(text);
  const at = text.indexOf(TYPE);
  // The type is in the head, before the neighbor: a far match is inside a value.
  if (at === -1 || at > 300) return undefined;
  if (text.startsWith('negotiated"', at + TYPE.length)) return negotiated(text);
  if (text.startsWith('refresh"', at + TYPE.length)) return refresh(text);
  return undefined;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function answer(text: string): SessionLine | undefined {
  const a = Answer.safeParse(json(text));
  return a.success && ANSWERS.has(a.data.answer) ? { kind: "ack", answer: a.data.answer as "done" } : undefined;
}

function peerOf(text: string): string | undefined {
  const a = parseAddress(text);
  return a.ok ? a.value.text : undefined;
}

function negotiated(text: string): SessionLine {
  const m = Negotiated.safeParse(json(text));
  if (!m.success) return { kind: "bad", error: "negotiated message not readable" };
  const neighbor = peerOf(m.data.neighbor.address.peer);
  if (neighbor === undefined) return { kind: "bad", error: "negotiated message: neighbor address not readable" };
  const r = m.data.neighbor.negotiated.refresh;
  const refresh = r === "absent" || r === "normal" || r === "enhanced" ? r : undefined;
  // 4.2 writes "ipv4 unicast"; other spellings ("ipv4/unicast") are read too.
  const families = (m.data.neighbor.negotiated.families ?? []).map((f) => f.replace("/", " ")).filter((f): f is RefreshFamily => REFRESH_FAMILIES.includes(f as RefreshFamily));
  return { kind: "negotiated", neighbor, refresh, families, version: m.data.exabgp };
}

function refresh(text: string): SessionLine {
  const m = Refresh.safeParse(json(text));
  if (!m.success) return { kind: "bad", error: "route-refresh message not readable" };
  const neighbor = peerOf(m.data.neighbor.address.peer);
  if (neighbor === undefined) return { kind: "bad", error: "route-refresh message: neighbor address not readable" };
  const rr = m.data.neighbor["route-refresh"];
  return { kind: "refresh", neighbor, family: `${rr.afi} ${rr.safi}`, subtype: rr.subtype };
}

/** The text API of the ExaBGP that writes JSON of this version: 6's own JSON is "6…" and later; 4.2 writes "4.0.1", 5.0 "5.0.0". */
export const apiOfJsonVersion = (version: string): 4 | 6 => (Number(version.split(".")[0]) >= 6 ? 6 : 4);
