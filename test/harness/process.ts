// Child processes the harness owns: spawned in their own process group (so
// ExaBGP's children die with it), logged to a file, and always reaped.

import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  private done = false;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; logFile: string; cwd?: string },
  ) {
    const fd = openSync(opts.logFile, "a");
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
      child.on("error", () => {
        this.done = true;
        resolve({ code: null, signal: null });
      });
    });
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  get running(): boolean {
    return !this.done;
  }

  /** Signal the whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (this.done) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** `sig` to the group, then SIGKILL after `grace` ms; resolves when it exited. */
  async stop(sig: NodeJS.Signals = "SIGTERM", grace = 5000): Promise<Exit> {
    if (this.done) return this.exited;
    this.signal(sig);
    const timer = setTimeout(() => this.signal("SIGKILL"), grace);
    const exit = await this.exited;
    clearTimeout(timer);
    // Children that outlived their parent (ExaBGP's processes) go too.
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      /* none left */
    }
    return exit;
  }
}

const live = new Set<ManagedProcess>();

// Last resort if a test runner dies without teardown: no daemon outlives us.
process.on("exit", () => {
  for (const p of live) {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});
