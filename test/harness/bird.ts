// BIRD 2 as a route server on loopback: every neighbor an `rs client`, next
// hops kept, and the documentation next hops the tests announce (192.0.2.0/24,
// 2001:db8::/64) made resolvable by static routes in tables of their own.
// Queried with birdc on its own control socket (BIRD has no JSON: the text of
// `show route all` is read).

import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import type { Lab } from "./lab.js";
import { freePort } from "./ports.js";
import { ManagedProcess } from "./process.js";
import type { RibPath, Router, RouterNeighbor, RouterOptions } from "./router.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

export class Bird implements Router {
  readonly kind = "bird-rs" as const;
  process: ManagedProcess | undefined;
  readonly dir: string;

  private constructor(
    readonly lab: Lab,
    readonly address: string,
    readonly asn: number,
    readonly port: number,
    readonly neighbors: RouterNeighbor[],
  ) {
    this.dir = `${lab.dir}/bird-${port}`;
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(`${this.dir}/bird.conf`, this.config());
  }

  static async start(lab: Lab, opts: RouterOptions): Promise<Bird> {
    const address = lab.addr(1);
    const b = new Bird(lab, address, opts.asn ?? 64999, await freePort(address), opts.neighbors);
    await b.restart();
    return b;
  }

  /** BIRD's protocol name for a neighbor. */
  static protocol(address: string): string {
    return `n_${address.replace(/[.:]/g, "_")}`;
  }

  private config(): string {
    const out = [
      `router id ${this.address};`,
      "ipv4 table nh4;",
      "ipv6 table nh6;",
      "protocol device {}",
      "protocol static { ipv4 { table nh4; }; route 192.0.2.0/24 blackhole; }",
      "protocol static { ipv6 { table nh6; }; route 2001:db8::/64 blackhole; }",
      "template bgp rsc {",
      `  local ${this.address} port ${this.port} as ${this.asn};`,
      "  multihop;",
      "  rs client;",
      // Never dial out (port 179 elsewhere): ExaBGP connects to us.
      "  passive on;",
      "  connect retry time 1;",
      "  ipv4 { import all; export all; next hop keep; gateway recursive; igp table nh4; };",
      "  ipv6 { import all; export all; next hop keep; gateway recursive; igp table nh6; };",
      "}",
    ];
    for (const n of this.neighbors) out.push(`protocol bgp ${Bird.protocol(n.address)} from rsc { neighbor ${n.address} as ${n.peerAs}; }`);
    return out.join("\n") + "\n";
  }

  async restart(): Promise<void> {
    if (this.process?.running) await this.stop();
    this.process = this.lab.own(
      new ManagedProcess(`bird:${this.port}`, "bird", ["-f", "-c", `${this.dir}/bird.conf`, "-s", `${this.dir}/bird.ctl`, "-P", `${this.dir}/bird.pid`], {
        logFile: `${this.lab.dir}/bird-${this.port}.out`,
      }),
    );
    await waitFor(async () => (await this.birdc("show status"))?.includes("Daemon is up"), { what: "BIRD control socket", timeout: 15_000 });
  }

  async stop(): Promise<void> {
    await this.process?.stop("SIGTERM");
  }

  async birdc(command: string): Promise<string | undefined> {
    try {
      const { stdout } = await run("birdc", ["-s", `${this.dir}/bird.ctl`, ...command.split(" ")], { timeout: 5000 });
      return stdout;
    } catch {
      return undefined;
    }
  }

  async waitEstablished(neighbor: string, timeout = 30_000): Promise<void> {
    const name = Bird.protocol(neighbor);
    await waitFor(async () => (await this.birdc(`show protocols ${name}`))?.split("\n").some((l) => l.startsWith(name) && /\bEstablished\b/.test(l)), {
      what: `BIRD session with ${neighbor} established`,
      timeout,
      interval: 100,
    });
  }

  async paths(prefix: string): Promise<RibPath[]> {
    const out = await this.birdc(`show route ${prefix} all`);
    return out ? parseShowRouteAll(out, prefix) : [];
  }
}

/**
 * `show route <prefix> all` → paths. A path starts with the prefix (or, for
 * a further path of the same prefix, with blanks) then `… [proto time from
 * <addr>] …`; its attribute lines follow, indented by a tab.
 */
export function parseShowRouteAll(text: string, prefix: string): RibPath[] {
  const paths: RibPath[] = [];
  let cur: RibPath | undefined;
  for (const line of text.split("\n")) {
    const head = /^(\S+)?\s+.*\[\S+ \S+ from (\S+)\]/.exec(line);
    if (head && !line.startsWith("\t")) {
      if (head[1] !== undefined && head[1] !== prefix) {
        cur = undefined;
        continue;
      }
      cur = { prefix, from: head[2]!, nexthop: "", communities: [] };
      paths.push(cur);
      continue;
    }
    if (!cur) continue;
    const nh = /^\s+BGP\.next_hop: (\S+)/.exec(line);
    if (nh) cur.nexthop = nh[1]!;
    const c = /^\s+BGP\.community: (.*)$/.exec(line);
    if (c) cur.communities = [...c[1]!.matchAll(/\((\d+),(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
  }
  return paths;
}
