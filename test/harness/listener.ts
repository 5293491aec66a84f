// exacast-listener run directly by a test (no ExaBGP): the test writes its
// stdin as ExaBGP would, reads its stderr log, signals it and awaits its exit.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import type { Lab } from "./lab.js";
import { bin } from "./paths.js";
import { waitFor } from "./wait.js";

export interface ListenerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ListenerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ListenerExit>;
  private err = "";
  private out = "";

  constructor(lab: Lab, args: string[], opts: { name?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    const [node, script] = bin("exacast-listener");
    const logFile = `${lab.dir}/${opts.name ?? "listener"}.err`;
    this.child = spawn(node!, [script!, ...args], { cwd: opts.cwd ?? lab.dir, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => (this.out += d));
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.err += d;
      appendFileSync(logFile, d);
    });
    this.child.stdin!.on("error", () => {});
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
    lab.onClose(async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill("SIGKILL");
        await this.exited;
      }
    });
  }

  /** What it wrote on stdout (nothing, in daemon mode: stdout is ExaBGP's). */
  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  write(...lines: string[]): void {
    this.child.stdin!.write(lines.map((l) => l + "\n").join(""));
  }

  end(): void {
    this.child.stdin!.end();
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async waitLog(pattern: RegExp, timeout = 10_000): Promise<RegExpMatchArray> {
    return waitFor(() => this.err.match(pattern), { what: `listener log ${pattern}`, timeout, interval: 20 });
  }
}
