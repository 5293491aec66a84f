// GoBGP as a route server on loopback: its config, its CLI view of sessions
// and of what each neighbor announced (adj-in).

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { promisify } from "node:util";
import type { Lab } from "./lab.js";
import { ManagedProcess } from "./process.js";
import { freePort } from "./ports.js";
import type { RibPath, Router } from "./router.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

export interface GoBgpNeighbor {
  address: string;
  peerAs: number;
  /** Take several paths of a prefix from this neighbor (ADD-PATH receive). */
  addPath?: boolean;
}

export interface AdjInRoute {
  prefix: string;
  nexthop: string;
  /** Standard communities as `asn:value` text. */
  communities: string[];
  med?: number;
  pathId: number;
  /** The AS_SEQUENCE as received (the sender's own AS first on eBGP). */
  asPath: number[];
  origin?: "igp" | "egp" | "incomplete";
  /** `global:local1:local2`. */
  largeCommunities: string[];
  /** `target:65000:100`, `origin:64512:7` (ExaBGP's text form). */
  extendedCommunities: string[];
}

const ESTABLISHED = 6;

export class GoBgp implements Router {
  readonly kind = "gobgp" as const;
  process: ManagedProcess | undefined;
  readonly configFile: string;
  readonly logFile: string;

  private constructor(
    readonly lab: Lab,
    readonly address: string,
    readonly asn: number,
    readonly port: number,
    readonly apiPort: number,
    readonly neighbors: GoBgpNeighbor[],
  ) {
    this.configFile = `${lab.dir}/gobgpd-${port}.toml`;
    this.logFile = `${lab.dir}/gobgpd-${port}.log`;
    writeFileSync(this.configFile, this.toml());
  }

  /** `host`: its address in the lab's /24 (default 1). */
  static async start(lab: Lab, opts: { asn?: number; neighbors: GoBgpNeighbor[]; host?: number }): Promise<GoBgp> {
    const address = lab.addr(opts.host ?? 1);
    const g = new GoBgp(lab, address, opts.asn ?? 64999, await freePort(address), await freePort(), opts.neighbors);
    await g.restart();
    return g;
  }

  private toml(): string {
    const out = [
      "[global.config]",
      `  as = ${this.asn}`,
      `  router-id = "${this.address}"`,
      `  port = ${this.port}`,
      `  local-address-list = ["${this.address}"]`,
    ];
    for (const n of this.neighbors) {
      out.push(
        "[[neighbors]]",
        "  [neighbors.config]",
        `    neighbor-address = "${n.address}"`,
        `    peer-as = ${n.peerAs}`,
        // Never dial out (port 179 elsewhere); ExaBGP connects to us.
        "  [neighbors.transport.config]",
        "    passive-mode = true",
        `    local-address = "${this.address}"`,
        // Fast recovery after a peer restarts: tests must not wait GoBGP's 30 s default.
        "  [neighbors.timers.config]",
        "    connect-retry = 1",
        "    hold-time = 9",
        "    keepalive-interval = 3",
        "    idle-hold-time-after-reset = 1",
        "  [neighbors.route-server.config]",
        "    route-server-client = true",
        "  [[neighbors.afi-safis]]",
        "    [neighbors.afi-safis.config]",
        '      afi-safi-name = "ipv4-unicast"',
        "  [[neighbors.afi-safis]]",
        "    [neighbors.afi-safis.config]",
        '      afi-safi-name = "ipv6-unicast"',
      );
      if (n.addPath) out.push("  [neighbors.add-paths.config]", "    receive = true");
    }
    return out.join("\n") + "\n";
  }

  /** Start (or start again after stop) with the same config and ports. */
  async restart(): Promise<void> {
    if (this.process?.running) await this.stop();
    this.process = this.lab.own(
      new ManagedProcess(`gobgpd:${this.port}`, "gobgpd", ["-f", this.configFile, "-p", "--api-hosts", `127.0.0.1:${this.apiPort}`, "-l", "info"], {
        logFile: this.logFile,
      }),
    );
    await waitFor(async () => (await this.cli(["neighbor"])) !== undefined, { what: "gobgpd API", timeout: 15_000 });
  }

  async stop(): Promise<void> {
    await this.process?.stop("SIGTERM");
  }

  async cli(args: string[]): Promise<string | undefined> {
    try {
      const { stdout } = await run("gobgp", ["-p", String(this.apiPort), ...args], { timeout: 5000 });
      return stdout;
    } catch {
      return undefined;
    }
  }

  async sessionState(neighbor: string): Promise<number | undefined> {
    const out = await this.cli(["-j", "neighbor", neighbor]);
    if (!out) return undefined;
    return (JSON.parse(out) as { state?: { session_state?: number } }).state?.session_state;
  }

  async waitEstablished(neighbor: string, timeout = 30_000): Promise<void> {
    await waitFor(async () => (await this.sessionState(neighbor)) === ESTABLISHED, {
      what: `GoBGP session with ${neighbor} established`,
      timeout,
      interval: 100,
    });
  }

  /** What `neighbor` announced to the route server, both families, sorted by prefix. */
  async adjIn(neighbor: string): Promise<AdjInRoute[]> {
    const routes: AdjInRoute[] = [];
    for (const family of ["ipv4", "ipv6"]) {
      const out = await this.cli(["-j", "neighbor", neighbor, "adj-in", "-a", family]);
      if (!out || out.trim() === "" || out.trim() === "null") continue;
      const table = JSON.parse(out) as Record<string, GoBgpPath[]>;
      for (const [prefix, paths] of Object.entries(table)) for (const p of paths) routes.push(toRoute(prefix, p));
    }
    return routes.sort((a, b) => a.prefix.localeCompare(b.prefix) || a.pathId - b.pathId);
  }

  /**
   * The ADD-PATH path ids of `prefix` from `neighbor`, ascending. GoBGP 3.10's
   * JSON leaves them out; its table has them in the ID column.
   */
  async adjInPathIds(neighbor: string, prefix: string): Promise<number[]> {
    const out = await this.cli(["neighbor", neighbor, "adj-in", prefix, "-a", prefix.includes(":") ? "ipv6" : "ipv4"]);
    const ids = (out ?? "").split("\n").flatMap((l) => {
      const m = /^\s*(\d+)\s+(\S+)\s/.exec(l);
      return m && m[2] === prefix ? [Number(m[1])] : [];
    });
    return ids.sort((a, b) => a - b);
  }

  /** Route-server clients leave the global RIB empty: the paths are in each neighbor's adj-in. */
  async paths(prefix: string): Promise<RibPath[]> {
    const out: RibPath[] = [];
    for (const n of this.neighbors) {
      for (const r of await this.adjIn(n.address)) {
        if (r.prefix === prefix) out.push({ prefix, from: n.address, nexthop: r.nexthop, communities: r.communities });
      }
    }
    return out;
  }
}

interface GoBgpPath {
  attrs?: {
    type: number;
    nexthop?: string;
    communities?: number[];
    metric?: number;
    value?: unknown;
    as_paths?: { segment_type: number; asns: number[] }[];
  }[];
  "path-id"?: number;
}

interface GoBgpExtended {
  type: number;
  subtype: number;
  /** `65000:100`; a 4-byte AS number in asdot (`64086.59904:7`); an IPv4 address `192.0.2.1:7`. */
  value: string;
}

/** GoBGP's value with a 4-byte AS number written as ExaBGP's plain number. */
function extendedValue(v: string): string {
  const m = /^(\d+)\.(\d+):(\d+)$/.exec(v);
  return m ? `${Number(m[1]) * 65536 + Number(m[2])}:${m[3]}` : v;
}

const ORIGIN = ["igp", "egp", "incomplete"] as const;
// RFC 4360 subtypes: 2 route target, 3 route origin.
const EXT_SUBTYPE: Record<number, string> = { 2: "target", 3: "origin" };

function toRoute(prefix: string, p: GoBgpPath): AdjInRoute {
  const r: AdjInRoute = { prefix, nexthop: "", communities: [], pathId: p["path-id"] ?? 0, asPath: [], largeCommunities: [], extendedCommunities: [] };
  for (const a of p.attrs ?? []) {
    if ((a.type === 3 || a.type === 14) && a.nexthop) r.nexthop = a.nexthop;
    if (a.type === 8 && a.communities) r.communities = a.communities.map((c) => `${c >>> 16}:${c & 0xffff}`);
    if (a.type === 4 && a.metric !== undefined) r.med = a.metric;
    if (a.type === 1 && typeof a.value === "number") r.origin = ORIGIN[a.value];
    if (a.type === 2) r.asPath = (a.as_paths ?? []).flatMap((s) => s.asns);
    if (a.type === 32 && Array.isArray(a.value)) {
      r.largeCommunities = (a.value as { ASN: number; LocalData1: number; LocalData2: number }[]).map((c) => `${c.ASN}:${c.LocalData1}:${c.LocalData2}`);
    }
    if (a.type === 16 && Array.isArray(a.value)) {
      r.extendedCommunities = (a.value as GoBgpExtended[]).map((c) => `${EXT_SUBTYPE[c.subtype] ?? `subtype${c.subtype}`}:${extendedValue(c.value)}`);
    }
  }
  return r;
}
