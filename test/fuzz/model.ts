// A deliberately simple reference model of the listener, written apart from
// the product so the two can be compared line by line: JSON.parse + core's
// zod specification path (never the fast path, never the prefilter), a Map
// keyed by neighbor|prefix|path as the RIB, and a services builder that sorts
// with BigInt addresses. What the contract says, in as few lines as possible.

import type { ExaEvent } from "@exacast/core";
import { MAX_LINE_LENGTH, parseAddress, parseMessageWithZod } from "@exacast/core";

export interface ModelRoute {
  neighbor: string;
  prefix: string;
  family: 4 | 6;
  pathId: number;
  nexthop: string;
  med: number | null;
  localPref: number | null;
  communities: string[];
  ports: number[];
  draining: boolean;
}

export interface ModelBackend {
  prefix: string;
  neighbor: string;
  pathId: number;
  nexthop: string;
  med: number | null;
  localPref: number | null;
  communities: string[];
  draining: boolean;
}

export interface ModelServices {
  services: Record<string, string[]>;
  backends: Record<string, ModelBackend[]>;
  ports: number[];
}

// ExaBGP's reason for the sessions it closes on its way down (4.2: round
// brackets, 5.0 and 6: square ones), and any down after its `shutdown`
// notification (until a session comes up again): the listener keeps those
// routes (the services did not go away, ExaBGP did).
const STOPPING = ["stop, message (shutting down)", "stop, message [shutting down]"];

export type ModelOutcome = "changed" | "unchanged" | "refused";

export class ReferenceModel {
  readonly routes = new Map<string, ModelRoute>();
  valid = 0;
  refused = 0;
  private exabgpStopping = false;

  constructor(private readonly asn = 12345) {}

  /** One line as the listener reads it; whether the services map may have moved. */
  line(text: string): ModelOutcome {
    if (text.length > MAX_LINE_LENGTH) return this.refuse();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.refuse();
    }
    const r = parseMessageWithZod(json);
    if (!r.ok) return this.refuse();
    this.valid++;
    let changed = false;
    for (const ev of r.value) changed = this.apply(ev) || changed;
    return changed ? "changed" : "unchanged";
  }

  private refuse(): ModelOutcome {
    this.refused++;
    return "refused";
  }

  private apply(ev: ExaEvent): boolean {
    switch (ev.kind) {
      case "announce": {
        const key = `${ev.neighbor}|${ev.prefix.text}|${ev.pathId}`;
        const ports = [...new Set(ev.attrs.communities.filter(([a, v]) => a === this.asn && v > 0).map(([, v]) => v))].sort((a, b) => a - b);
        if (ports.length === 0) return this.routes.delete(key);
        this.routes.set(key, {
          neighbor: ev.neighbor,
          prefix: ev.prefix.text,
          family: ev.prefix.family,
          pathId: ev.pathId,
          nexthop: ev.nexthop,
          med: ev.attrs.med ?? null,
          localPref: ev.attrs.localPref ?? null,
          communities: ev.attrs.communities.map(([a, v]) => `${a}:${v}`),
          ports,
          draining: ev.attrs.communities.some(([a, v]) => a === 65535 && v === 0),
        });
        return true;
      }
      case "withdraw":
        return this.routes.delete(`${ev.neighbor}|${ev.prefix.text}|${ev.pathId}`);
      case "shutdown":
        this.exabgpStopping = true;
        return false;
      case "state": {
        if (ev.state !== "down") this.exabgpStopping = false;
        if (ev.state !== "down" || this.exabgpStopping || STOPPING.some((s) => (ev.reason ?? "").startsWith(s))) return false;
        let changed = false;
        for (const [k, r] of this.routes) if (r.neighbor === ev.neighbor) changed = this.routes.delete(k) || changed;
        return changed;
      }
      default:
        return false;
    }
  }

  services(): ModelServices {
    return servicesOf(this.routes.values());
  }
}

function addressNumber(text: string): bigint {
  const a = parseAddress(text);
  if (!a.ok) throw new Error(`model: ${a.error}`);
  return BigInt(`0x${a.value.hex}`);
}

/** IPv4 before IPv6, then the address as a number, then the length. */
function comparePrefixText(a: string, b: string): number {
  const [aa, al] = a.split("/") as [string, string];
  const [ba, bl] = b.split("/") as [string, string];
  const af = aa.includes(":") ? 6 : 4;
  const bf = ba.includes(":") ? 6 : 4;
  if (af !== bf) return af - bf;
  const an = addressNumber(aa);
  const bn = addressNumber(ba);
  if (an !== bn) return an < bn ? -1 : 1;
  return Number(al) - Number(bl);
}

function compareAddress(a: string, b: string): number {
  const af = a.includes(":") ? 6 : 4;
  const bf = b.includes(":") ? 6 : 4;
  if (af !== bf) return af - bf;
  const an = addressNumber(a);
  const bn = addressNumber(b);
  return an === bn ? 0 : an < bn ? -1 : 1;
}

/** The fields of a backend the model and the listener are compared on. */
export function modelBackend({ prefix, neighbor, pathId, nexthop, med, localPref, communities, draining }: ModelBackend): ModelBackend {
  return { prefix, neighbor, pathId, nexthop, med, localPref, communities, draining };
}

export function servicesOf(routes: Iterable<ModelRoute>): ModelServices {
  const all = [...routes];
  const ports = [...new Set(all.flatMap((r) => r.ports))].sort((a, b) => a - b);
  const services: Record<string, string[]> = {};
  const backends: Record<string, ModelBackend[]> = {};
  for (const port of ports) {
    const list = all
      .filter((r) => r.ports.includes(port))
      .sort((a, b) => comparePrefixText(a.prefix, b.prefix) || compareAddress(a.neighbor, b.neighbor) || a.pathId - b.pathId);
    services[port] = [...new Set(list.map((r) => r.prefix))];
    backends[port] = list.map(modelBackend);
  }
  return { services, backends, ports };
}
