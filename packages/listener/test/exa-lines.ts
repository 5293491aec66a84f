// ExaBGP 4.2-shaped JSON lines for tests, written the way ExaBGP writes them.

import addPathCapture from "../../../test/fixtures/exabgp-4.2-addpath-eor.ndjson?raw";
import routeServerCapture from "../../../test/fixtures/exabgp-4.2-route-server-session.ndjson?raw";
import type { Prefix, RouteAttributes } from "@exacast/core";
import { parsePrefix } from "@exacast/core";
import type { Rib } from "../src/rib.js";
import type { ServicesMap } from "../src/services.js";
import { buildServices } from "../src/services.js";

let counter = 0;
const head = (type: string) =>
  `{ "exabgp": "4.0.1", "time": 1795327079.1735878, "host" : "lb1", "pid" : 4549, "ppid" : 1, "counter": ${++counter}, "type": "${type}", `;
const nb = (peer: string) => `"neighbor": { "address": { "local": "127.0.0.3", "peer": "${peer}" }, "asn": { "local": 65001, "peer": 64999 } , `;

export interface AnnounceSpec {
  peer?: string;
  prefixes: string[];
  nexthop?: string;
  communities?: [number, number][];
  med?: number;
  localPref?: number;
  pathId?: number;
}

const famOf = (p: string) => (p.includes(":") ? "ipv6 unicast" : "ipv4 unicast");
const nlri = (p: string, pathId?: number) => (pathId === undefined ? `{ "nlri": "${p}" }` : `{ "nlri": "${p}", "path-information": "0.0.0.${pathId}" }`);

export function announce(s: AnnounceSpec): string {
  const attrs = [`"origin": "igp"`, `"as-path": [ 65000 ]`, `"confederation-path": []`];
  if (s.med !== undefined) attrs.push(`"med": ${s.med}`);
  if (s.localPref !== undefined) attrs.push(`"local-preference": ${s.localPref}`);
  if (s.communities?.length) attrs.push(`"community": [ ${s.communities.map(([a, b]) => `[ ${a}, ${b} ]`).join(", ")} ]`);
  const fam = famOf(s.prefixes[0]!);
  const nh = s.nexthop ?? (fam === "ipv6 unicast" ? "2001:db8::2" : "192.0.2.2");
  return (
    head("update") +
    nb(s.peer ?? "127.0.0.1") +
    `"direction": "receive", "message": { "update": { "attribute": { ${attrs.join(", ")} }, ` +
    `"announce": { "${fam}": { "${nh}": [ ${s.prefixes.map((p) => nlri(p, s.pathId)).join(", ")} ] } } } } } }`
  );
}

export function withdraw(prefixes: string[], peer = "127.0.0.1", pathId?: number): string {
  const fam = famOf(prefixes[0]!);
  return head("update") + nb(peer) + `"direction": "receive", "message": { "update": { "withdraw": { "${fam}": [ ${prefixes.map((p) => nlri(p, pathId)).join(", ")} ] } } } } }`;
}

export const STOPPING = "stop, message (shutting down)";

export function state(st: "connected" | "up" | "down", peer = "127.0.0.1", why = "peer reset, message (closing connection) error(Broken TCP connection)"): string {
  const reason = st === "down" ? `, "reason": "${why}"` : "";
  return head("state") + nb(peer).replace(/, $/, "") + ` , "state": "${st}"${reason} } }`;
}

export function eor(peer = "127.0.0.1", afi = "ipv4"): string {
  return head("update") + nb(peer) + `"direction": "receive", "message": { "eor": { "afi" : "${afi}", "safi" : "unicast" } } } }`;
}

export const SHUTDOWN = `{ "exabgp": "4.0.1", "time": 1795327097.5495577, "host" : "vm", "pid" : 4549, "ppid" : 1, "type": "notification", "notification": "shutdown" }`;

// Imported as text by the test runner: the unit tests themselves read no files.
const CAPTURES: Record<string, string> = {
  "exabgp-4.2-addpath-eor.ndjson": addPathCapture,
  "exabgp-4.2-route-server-session.ndjson": routeServerCapture,
};

export function fixture(name: string): string[] {
  const text = CAPTURES[name];
  if (text === undefined) throw new Error(`no capture ${name} in test/fixtures`);
  return text.split("\n").filter(Boolean);
}

export function prefix(text: string): Prefix {
  const p = parsePrefix(text);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

export function attrs(communities: [number, number][], extra: Partial<RouteAttributes> = {}): RouteAttributes {
  return { communities, largeCommunities: [], extendedCommunities: [], ...extra };
}

/** `{ port: [prefix, …] }` with numeric keys as text, as templates see it. */
export function servicesOf(rib: Rib): ServicesMap["services"] {
  return buildServices(rib.routes()).services;
}
