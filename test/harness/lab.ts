// A lab is one test file's world: its own 127.X.Y.0/24 of loopback addresses,
// a temp folder for configs and logs, and every process and socket it started,
// torn down by close() whatever the tests did.

import { randomInt } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { Commander } from "./commander.js";
import type { ExaBgpOptions } from "./exabgp.js";
import { ExaBgp } from "./exabgp.js";
import type { GoBgpNeighbor } from "./gobgp.js";
import { GoBgp } from "./gobgp.js";
import { helper } from "./paths.js";
import type { ManagedProcess } from "./process.js";

export class Lab {
  readonly dir: string;
  readonly net: string;
  private readonly processes: ManagedProcess[] = [];
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(readonly name: string) {
    this.dir = mkdtempSync(`${tmpdir()}/exacast-${name}-`);
    // A /24 of its own keeps labs of parallel test files apart (one GoBGP
    // neighbor address can only be one session).
    this.net = `127.${randomInt(100, 255)}.${randomInt(0, 256)}`;
  }

  /**
   * The folder the announcers of this lab keep their state files in ($STATE_DIRECTORY
   * of what ExaBGP and AnnouncerProcess run), so no test writes to the host's state_dir.
   */
  get stateDir(): string {
    const d = `${this.dir}/state`;
    mkdirSync(d, { recursive: true });
    return d;
  }

  addr(host: number): string {
    return `${this.net}.${host}`;
  }

  own<P extends ManagedProcess>(p: P): P {
    this.processes.push(p);
    return p;
  }

  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  gobgp(opts: { asn?: number; neighbors: GoBgpNeighbor[]; host?: number }): Promise<GoBgp> {
    return GoBgp.start(this, opts);
  }

  exabgp(opts: ExaBgpOptions): ExaBgp {
    return new ExaBgp(this, opts).start();
  }

  /** A process that records what ExaBGP sends it into `<dir>/<name>.ndjson`. */
  recorder(name: string): { run: string[]; file: string; lines(): string[] } {
    const file = `${this.dir}/${name}.ndjson`;
    return {
      run: [...helper("recorder.mjs"), file],
      file,
      lines: () => {
        try {
          return readFileSync(file, "utf8").split("\n").filter(Boolean);
        } catch {
          return [];
        }
      },
    };
  }

  async commander(name: string): Promise<Commander> {
    const c = new Commander(`${this.dir}/${name}.sock`);
    await c.listen();
    this.onClose(() => c.close());
    return c;
  }

  /** The last lines of every log in the lab, for a failing test's output. */
  report(lines = 40): string {
    let out = "";
    for (const f of readdirSync(this.dir)) {
      if (!/\.(log|out|ndjson|err)$/.test(f) || !statSync(`${this.dir}/${f}`).isFile()) continue;
      const text = readFileSync(`${this.dir}/${f}`, "utf8").split("\n");
      out += `\n===== ${f} (last ${lines} lines) =====\n${text.slice(-lines - 1).join("\n")}`;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.reverse().map((p) => p.stop("SIGTERM", 3000)));
    for (const c of this.closers.reverse()) await c().catch(() => {});
    if (!process.env.EXACAST_KEEP_LABS) rmSync(this.dir, { recursive: true, force: true });
  }
}
