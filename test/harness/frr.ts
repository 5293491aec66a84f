// FRR's bgpd on loopback, alone (no zebra, no systemd, no watchfrr), as a
// route server (route-server-client: next hops and AS path kept) or as a
// plain eBGP ToR (it prepends its AS and sends itself as the next hop, for
// IPv6 as ::ffff:<its IPv4 address>). Queried with vtysh on its own socket.

import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import type { Lab } from "./lab.js";
import { freePort } from "./ports.js";
import { ManagedProcess } from "./process.js";
import type { RibPath, Router, RouterNeighbor, RouterOptions } from "./router.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);
export const FRR_BGPD = "/usr/lib/frr/bgpd";

export type FrrMode = "route-server" | "tor";

interface FrrPath {
  peer?: { peerId?: string };
  nexthops?: { ip?: string }[];
  community?: { list?: string[] };
}

export class Frr implements Router {
  readonly kind;
  process: ManagedProcess | undefined;
  readonly dir: string;

  private constructor(
    readonly lab: Lab,
    readonly mode: FrrMode,
    readonly address: string,
    readonly asn: number,
    readonly port: number,
    readonly neighbors: RouterNeighbor[],
  ) {
    this.kind = mode === "route-server" ? ("frr-rs" as const) : ("frr-tor" as const);
    this.dir = `${lab.dir}/frr-${port}`;
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(`${this.dir}/bgpd.conf`, this.config());
  }

  static async start(lab: Lab, opts: RouterOptions & { mode: FrrMode }): Promise<Frr> {
    const address = lab.addr(1);
    const f = new Frr(lab, opts.mode, address, opts.asn ?? 64999, await freePort(address), opts.neighbors);
    await f.restart();
    return f;
  }

  private config(): string {
    const rs = this.mode === "route-server";
    const out = [
      "frr defaults traditional",
      `log file ${this.dir}/bgpd.log informational`,
      "!",
      `router bgp ${this.asn}`,
      ` bgp router-id ${this.address}`,
      " no bgp ebgp-requires-policy",
      " no bgp network import-check",
      " no bgp default ipv4-unicast",
    ];
    for (const n of this.neighbors) {
      out.push(
        ` neighbor ${n.address} remote-as ${n.peerAs}`,
        // Never dial out (port 179 elsewhere): ExaBGP connects to us.
        ` neighbor ${n.address} passive`,
        // "traditional" waits 30 s between eBGP updates (MRAI): a withdraw must not.
        ` neighbor ${n.address} advertisement-interval 0`,
        ` neighbor ${n.address} timers 3 9`,
      );
    }
    for (const af of ["ipv4", "ipv6"]) {
      out.push(` address-family ${af} unicast`);
      for (const n of this.neighbors) {
        out.push(`  neighbor ${n.address} activate`);
        if (rs) out.push(`  neighbor ${n.address} route-server-client`);
      }
      out.push(" exit-address-family");
    }
    return out.join("\n") + "\n!\n";
  }

  async restart(): Promise<void> {
    if (this.process?.running) await this.stop();
    // -Z: no zebra, so every next hop counts as reachable; -S: stay root (no frr user needed).
    this.process = this.lab.own(
      new ManagedProcess(
        `bgpd:${this.port}`,
        FRR_BGPD,
        ["-f", `${this.dir}/bgpd.conf`, "-p", String(this.port), "-l", this.address, "-Z", "-n", "-S", "-P", "0", "--vty_socket", this.dir, "-i", `${this.dir}/bgpd.pid`],
        { logFile: `${this.lab.dir}/bgpd-${this.port}.out` },
      ),
    );
    await waitFor(async () => (await this.vtysh("show bgp summary json")) !== undefined, { what: "FRR bgpd vty", timeout: 15_000 });
  }

  async stop(): Promise<void> {
    await this.process?.stop("SIGTERM");
  }

  async vtysh(command: string): Promise<string | undefined> {
    try {
      const { stdout } = await run("vtysh", ["--vty_socket", this.dir, "-d", "bgpd", "-c", command], { timeout: 5000 });
      return stdout;
    } catch {
      return undefined;
    }
  }

  async sessionState(neighbor: string): Promise<string | undefined> {
    const out = await this.vtysh(`show bgp neighbors ${neighbor} json`);
    if (!out) return undefined;
    return (JSON.parse(out) as Record<string, { bgpState?: string }>)[neighbor]?.bgpState;
  }

  async waitEstablished(neighbor: string, timeout = 30_000): Promise<void> {
    await waitFor(async () => (await this.sessionState(neighbor)) === "Established", { what: `FRR session with ${neighbor} established`, timeout, interval: 100 });
  }

  async paths(prefix: string): Promise<RibPath[]> {
    const af = prefix.includes(":") ? "ipv6" : "ipv4";
    const out = await this.vtysh(`show bgp ${af} unicast ${prefix} json`);
    if (!out || out.trim() === "" || out.trim() === "{}") return [];
    const table = JSON.parse(out) as { prefix?: string; paths?: FrrPath[] };
    if (table.prefix !== prefix) return [];
    return (table.paths ?? []).map((p) => ({
      prefix,
      from: p.peer?.peerId ?? "",
      nexthop: p.nexthops?.[0]?.ip ?? "",
      communities: p.community?.list ?? [],
    }));
  }
}
