// exacast-announcer run directly by a test, the test playing ExaBGP: every
// line the announcer writes on stdout is recorded (with when it came) and
// answered `done`, as ExaBGP 4.2 does with api.ack. Its stderr log is kept.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import type { Lab } from "./lab.js";
import { bin } from "./paths.js";
import { waitFor } from "./wait.js";

export interface AnnouncerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OutLine {
  line: string;
  /** Date.now() when it was read. */
  at: number;
}

export class AnnouncerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<AnnouncerExit>;
  /** Every stdout line, in order. */
  readonly lines: OutLine[] = [];
  private err = "";
  private partial = "";

  constructor(lab: Lab, args: string[], opts: { name?: string; env?: NodeJS.ProcessEnv; ack?: boolean } = {}) {
    const [node, script] = bin("exacast-announcer");
    const name = opts.name ?? "announcer";
    const logFile = `${lab.dir}/${name}.err`;
    const outFile = `${lab.dir}/${name}.out`;
    this.child = spawn(node!, [script!, ...args], { cwd: lab.dir, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      appendFileSync(outFile, d);
      const parts = (this.partial + d).split("\n");
      this.partial = parts.pop()!;
      for (const line of parts) {
        this.lines.push({ line, at: Date.now() });
        if (opts.ack !== false) this.child.stdin!.write("done\n");
      }
    });
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

  get stderr(): string {
    return this.err;
  }

  /** Bytes written on stdout after the last newline (must stay empty). */
  get unterminated(): string {
    return this.partial;
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

  /** The first stdout line from index `from` on that matches. */
  async waitLine(pattern: RegExp, opts: { from?: number; timeout?: number } = {}): Promise<OutLine> {
    const from = opts.from ?? 0;
    return waitFor(() => this.lines.slice(from).find((l) => pattern.test(l.line)), { what: `announcer stdout ${pattern}`, timeout: opts.timeout ?? 10_000, interval: 5 });
  }

  async waitLog(pattern: RegExp, timeout = 10_000): Promise<RegExpMatchArray> {
    return waitFor(() => this.err.match(pattern), { what: `announcer log ${pattern}`, timeout, interval: 10 });
  }
}
