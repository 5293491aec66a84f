// The services map, derived from the RIB: what templates and the state file
// see. Pure and deterministic: ports ascending; prefixes deduplicated across
// neighbors and paths, IPv4 before IPv6, numeric; backends in the same order,
// then by neighbor address and path id. Nothing in it changes unless routes do.

import type { Community } from "@exacast/core";
import { addressOf, formatCommunity, parseAddress } from "@exacast/core";
import type { Route } from "./rib.js";

export interface Backend {
  prefix: string;
  address: string;
  length: number;
  family: 4 | 6;
  nexthop: string;
  neighbor: string;
  pathId: number;
  med: number | null;
  localPref: number | null;
  communities: string[];
  draining: boolean;
}

export interface ServicesMap {
  /** `"<port>" → ["<prefix>", …]`. Integer-like keys: objects iterate them in ascending order. */
  services: Record<string, string[]>;
  backends: Record<string, Backend[]>;
  ports: number[];
}

/** What an EJS template sees. */
export interface TemplateData extends ServicesMap {
  addr(prefix: string): string;
  /** The template's `vars` from the config (or `--var` of the render subcommand). */
  vars: Readonly<Record<string, string | number | boolean>>;
}

const neighborKeys = new Map<string, string>();
/** Orders neighbor addresses numerically, IPv4 before IPv6. */
export function neighborKey(address: string): string {
  let k = neighborKeys.get(address);
  if (k === undefined) {
    const a = parseAddress(address);
    k = a.ok ? `${a.value.family}${a.value.hex.padStart(32, "0")}` : `9${address}`;
    if (neighborKeys.size >= 4096) neighborKeys.clear();
    neighborKeys.set(address, k);
  }
  return k;
}

function compareRoutes(a: Route, b: Route): number {
  if (a.prefix.sortKey !== b.prefix.sortKey) return a.prefix.sortKey < b.prefix.sortKey ? -1 : 1;
  if (a.neighbor !== b.neighbor) return neighborKey(a.neighbor) < neighborKey(b.neighbor) ? -1 : 1;
  return a.pathId - b.pathId;
}

// Routes are immutable (a change replaces the object): each one's backend is
// built once and reused by every later map, instead of 100k objects (and
// their garbage) per render.
const backendCache = new WeakMap<Route, Backend>();

function backendOf(r: Route): Backend {
  let b = backendCache.get(r);
  if (b === undefined) backendCache.set(r, (b = newBackend(r)));
  return b;
}

// The RIB shares one community list among the routes that carry it: so can their backends.
const communityTexts = new WeakMap<readonly Community[], string[]>();
function textsOf(list: readonly Community[]): string[] {
  let texts = communityTexts.get(list);
  if (texts === undefined) communityTexts.set(list, (texts = Object.freeze(list.map(formatCommunity)) as string[]));
  return texts;
}

function newBackend(r: Route): Backend {
  // Frozen: every map (and every template) shares it, and none may change it.
  return Object.freeze({
    prefix: r.prefix.text,
    address: r.prefix.address,
    length: r.prefix.length,
    family: r.prefix.family,
    nexthop: r.nexthop,
    neighbor: r.neighbor,
    pathId: r.pathId,
    med: r.med ?? null,
    localPref: r.localPref ?? null,
    communities: textsOf(r.communities),
    draining: r.draining,
  });
}

export function buildServices(routes: Iterable<Route>): ServicesMap {
  const byPort = new Map<number, Route[]>();
  for (const r of routes) {
    for (const port of r.ports) {
      let list = byPort.get(port);
      if (list === undefined) byPort.set(port, (list = []));
      list.push(r);
    }
  }
  const ports = [...byPort.keys()].sort((a, b) => a - b);
  const services: Record<string, string[]> = {};
  const backends: Record<string, Backend[]> = {};
  for (const port of ports) {
    const list = byPort.get(port)!.sort(compareRoutes);
    const prefixes: string[] = [];
    for (const r of list) if (prefixes[prefixes.length - 1] !== r.prefix.text) prefixes.push(r.prefix.text);
    services[port] = prefixes;
    backends[port] = list.map(backendOf);
  }
  return { services, backends, ports };
}

/**
 * A template's own copy of the map: its own lists (a template may sort or
 * edit them) of the shared backends, which are frozen — a template cannot
 * change what the next template (or the state file) sees. Copying 100k
 * backends at every render cost more memory than the map itself.
 */
export function templateData(map: ServicesMap, vars: TemplateData["vars"] = {}): TemplateData {
  const services: Record<string, string[]> = {};
  const backends: Record<string, Backend[]> = {};
  for (const port of map.ports) {
    services[port] = map.services[port]!.slice();
    backends[port] = map.backends[port]!.slice();
  }
  return { services, backends, ports: map.ports.slice(), addr: addressOf, vars: { ...vars } };
}

/**
 * Whether two maps render alike: the same ports and, per port, the same
 * backends field by field (the prefix lists follow from them). Cheaper than
 * comparing their JSON, which at 100k routes is a 30 MB string built twice.
 */
export function sameServices(a: ServicesMap, b: ServicesMap): boolean {
  if (a === b) return true;
  if (a.ports.length !== b.ports.length) return false;
  for (let i = 0; i < a.ports.length; i++) {
    const port = a.ports[i]!;
    if (port !== b.ports[i]) return false;
    const x = a.backends[port]!;
    const y = b.backends[port]!;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (!sameBackend(x[j]!, y[j]!)) return false;
  }
  return true;
}

// address, length and family follow from prefix.
function sameBackend(a: Backend, b: Backend): boolean {
  if (a === b) return true;
  if (a.prefix !== b.prefix || a.nexthop !== b.nexthop || a.neighbor !== b.neighbor || a.pathId !== b.pathId) return false;
  if (a.med !== b.med || a.localPref !== b.localPref || a.draining !== b.draining) return false;
  if (a.communities.length !== b.communities.length) return false;
  for (let i = 0; i < a.communities.length; i++) if (a.communities[i] !== b.communities[i]) return false;
  return true;
}


const jsonOf = new WeakMap<ServicesMap, string>();

/**
 * The state file's text: the services map as stable, readable JSON. Kept per
 * map: the render cycle compares it with the last one, and the render thread
 * is sent it (copying one string to a thread costs next to nothing, where
 * cloning 16,000 backend objects costs ~50 ms of this thread).
 */
export function servicesJson(map: ServicesMap): string {
  let text = jsonOf.get(map);
  if (text === undefined) jsonOf.set(map, (text = JSON.stringify({ services: map.services, backends: map.backends, ports: map.ports }, null, 2) + "\n"));
  return text;
}
