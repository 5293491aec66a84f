// The whole path a user builds, on one lab's loopback: a real TCP backend,
// exacast-announcer run by ExaBGP "a" (.2, AS 65000), a router (.1, AS 64999:
// GoBGP, FRR or BIRD), ExaBGP "b" (.3, AS 65001) running exacast-listener,
// and the file the listener renders. Both ExaBGPs are the same version.

import { readFileSync, watch, writeFileSync } from "node:fs";
import { TcpBackend } from "./backend.js";
import type { ExaBgp } from "./exabgp.js";
import type { ExaRuntime } from "./exabgp-runtime.js";
import { Lab } from "./lab.js";
import { bin, repoRoot } from "./paths.js";
import type { Router, RouterKind } from "./router.js";
import { startRouter } from "./router.js";
import { waitFor } from "./wait.js";

export const ANNOUNCER_AS = 65000;
export const LISTENER_AS = 65001;
export const VIP4 = "10.255.255.1/32";
export const VIP6 = "2001:db8:ff::1/128";

export interface PipelineOptions {
  runtime: ExaRuntime;
  router: RouterKind;
  /** Extra ExaBGP settings for both (e.g. exabgp.api.version). */
  env?: Record<string, string>;
  /** Announcer timers: the failover setting by default. */
  timers?: string;
}

export class Pipeline {
  readonly lab: Lab;
  readonly A: string;
  readonly B: string;
  readonly backend: TcpBackend;
  readonly file: string;
  /** Every file the listener installed, in order (its reload appends it here). */
  readonly history: string;
  router!: Router;
  a!: ExaBgp;
  b!: ExaBgp;

  private constructor(readonly opts: PipelineOptions) {
    this.lab = new Lab(`matrix-${opts.runtime.version}-${opts.router}`);
    this.A = this.lab.addr(2);
    this.B = this.lab.addr(3);
    this.backend = new TcpBackend(this.lab.addr(10));
    this.file = `${this.lab.dir}/services.txt`;
    this.history = `${this.lab.dir}/history.log`;
    this.lab.onClose(() => this.backend.stop());
  }

  static async start(opts: PipelineOptions): Promise<Pipeline> {
    const p = new Pipeline(opts);
    try {
      await p.boot();
    } catch (e) {
      console.log(p.lab.report());
      await p.lab.close();
      throw e;
    }
    return p;
  }

  get port(): number {
    return this.backend.port;
  }

  /** The community the VIPs carry while the backend is up. */
  get community(): string {
    return `12345:${this.port}`;
  }

  /** The rendered file when the backend is up (both VIPs) or down (nothing). */
  expected(up: boolean): string {
    return up ? `service_${this.port}\n  listen 127.0.0.1:${this.port}\n  backend 10.255.255.1:${this.port}\n  backend 2001:db8:ff::1:${this.port}\n\n` : "";
  }

  read(): string | undefined {
    try {
      return readFileSync(this.file, "utf8");
    } catch {
      return undefined;
    }
  }

  /** The files installed so far, oldest first. */
  renders(): string[] {
    try {
      return readFileSync(this.history, "utf8").split("----\n").slice(0, -1);
    } catch {
      return [];
    }
  }

  /**
   * When (performance.now()) the file's text stops being `before`. The
   * listener renames a new file over it: inotify tells at once, without
   * polling that would take CPU from the daemons being timed (a slow poll
   * backs it up).
   */
  fileChanged(before: string | undefined, timeout = 5000): Promise<number> {
    return new Promise((resolve, reject) => {
      const dir = watch(this.lab.dir);
      const check = () => {
        if (this.read() === before) return;
        const at = performance.now();
        done();
        resolve(at);
      };
      const poll = setInterval(check, 50);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeout} ms waiting for ${this.file} to change`));
      }, timeout);
      const done = () => {
        dir.close();
        clearInterval(poll);
        clearTimeout(timer);
      };
      dir.on("change", check);
      check();
    });
  }

  async waitFile(up: boolean, what: string, timeout = 15_000): Promise<void> {
    const want = this.expected(up);
    await waitFor(() => this.read() === want, { what: `${what}; file is ${JSON.stringify(this.read())}`, timeout, interval: 20 });
  }

  /** Whether the router holds each VIP from the announcer, with the service community. */
  async ribHasVips(): Promise<boolean> {
    for (const vip of [VIP4, VIP6]) {
      const paths = (await this.router.paths(vip)).filter((p) => p.from === this.A);
      if (!paths.some((p) => p.communities.includes(this.community))) return false;
    }
    return true;
  }

  async ribHasNoVip(): Promise<boolean> {
    for (const vip of [VIP4, VIP6]) if ((await this.router.paths(vip)).some((p) => p.from === this.A)) return false;
    return true;
  }

  async waitSessions(timeout = 30_000): Promise<void> {
    await Promise.all([this.router.waitEstablished(this.A, timeout), this.router.waitEstablished(this.B, timeout)]);
  }

  close(): Promise<void> {
    return this.lab.close();
  }

  private async boot(): Promise<void> {
    const { lab, opts } = this;
    await this.backend.start();
    const routerStarted = startRouter(opts.router, lab, {
      neighbors: [
        { address: this.A, peerAs: ANNOUNCER_AS },
        { address: this.B, peerAs: LISTENER_AS },
      ],
    });
    const announcerYaml = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      announcerYaml,
      [
        // GoBGP refuses loopback next hops: documentation addresses, only attributes here.
        "next_hop: [192.0.2.2, 2001:db8::2]",
        opts.timers ?? "interval: 200ms\nfast_interval: 100ms\ntimeout: 200ms\nrise: 1\nfall: 2",
        "apps:",
        `  - { name: web, vips: [${VIP4}, ${VIP6}], ports: [${this.port}], checks: [{ tcp: "${this.backend.host}:${this.port}" }] }`,
      ].join("\n") + "\n",
    );
    const listenerYaml = `${lab.dir}/listener.yaml`;
    writeFileSync(
      listenerYaml,
      [
        // Failover is measured to the file: render as soon as the updates stop.
        "debounce: 5ms",
        "max_wait: 100ms",
        // A lost session empties the file at once (the default keeps its routes 120 s): cell 4 sees it.
        "stale_grace: 0s",
        "templates:",
        `  - source: ${repoRoot}/examples/seed.ejs`,
        `    destination: ${this.file}`,
        `    reload: cat "$EXACAST_DESTINATION" >> ${this.history}; echo ---- >> ${this.history}`,
      ].join("\n") + "\n",
    );
    this.router = await routerStarted;
    const neighbor = [{ address: this.router.address, peerAs: this.router.asn, connect: this.router.port }];
    const common = { runtime: opts.runtime, ...(opts.env ? { env: opts.env } : {}), neighbors: neighbor };
    this.a = lab.exabgp({
      ...common,
      name: "a",
      address: this.A,
      asn: ANNOUNCER_AS,
      processes: [{ name: "announcer", run: [...bin("exacast-announcer"), "--config", announcerYaml], encoder: "text" }],
    });
    this.b = lab.exabgp({
      ...common,
      name: "b",
      address: this.B,
      asn: LISTENER_AS,
      processes: [{ name: "listener", run: [...bin("exacast-listener"), "--config", listenerYaml], encoder: "json" }],
    });
    await this.waitSessions();
  }
}
