// Any program run by a test the way ExaBGP runs a process, without ExaBGP:
// the test writes its stdin (lines or raw bytes, with backpressure), reads its
// stdout line by line and its stderr log, signals it and awaits its exit. Like
// ListenerProcess and AnnouncerProcess are this with their bin.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import type { Lab } from "./lab.js";
import { waitFor } from "./wait.js";

export interface ScriptedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ScriptedOptions {
  /** Log file `<lab>/<name>.err` (shown by lab.report()). */
  name: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each complete stdout line, as it arrives (e.g. to answer `done`). */
  onLine?: (line: string) => void;
  /** Also keep stdout in `<lab>/<name>.out` (shown by lab.report()). */
  logStdout?: boolean;
}

export class ScriptedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ScriptedExit>;
  /** Complete stdout lines, in order. */
  readonly lines: string[] = [];
  private partial = "";
  private err = "";
  private errBytes = 0;

  constructor(lab: Lab, cmd: string, args: string[], opts: ScriptedOptions) {
    const logFile = `${lab.dir}/${opts.name}.err`;
    const outFile = opts.logStdout ? `${lab.dir}/${opts.name}.out` : undefined;
    // The lab's state folder, not the host's /var/lib/exacast (an announcer's state files).
    const env = { STATE_DIRECTORY: lab.stateDir, ...(opts.env ?? process.env) };
    this.child = spawn(cmd, args, { cwd: opts.cwd ?? lab.dir, env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      if (outFile) appendFileSync(outFile, d);
      const parts = (this.partial + d).split("\n");
      this.partial = parts.pop()!;
      for (const l of parts) {
        this.lines.push(l);
        opts.onLine?.(l);
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.err += d;
      this.errBytes += d.length;
      appendFileSync(logFile, d);
    });
    this.child.stdin!.on("error", () => {});
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
    lab.onClose(async () => {
      if (this.running) {
        this.child.kill("SIGKILL");
        await this.exited;
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** stdout written after the last newline (a line cut short). */
  get unterminated(): string {
    return this.partial;
  }

  get stderr(): string {
    return this.err;
  }

  /** Everything written on stdout so far, as text. */
  get stdout(): string {
    return this.lines.map((l) => l + "\n").join("") + this.partial;
  }

  /** Lines of the stderr log matching `pattern`. */
  logLines(pattern: RegExp): string[] {
    return this.err.split("\n").filter((l) => pattern.test(l));
  }

  write(...lines: string[]): void {
    this.child.stdin!.write(lines.map((l) => l + "\n").join(""));
  }

  /** Write bytes, resolving once the pipe took them (backpressure). */
  async writeRaw(data: Buffer | string): Promise<void> {
    if (!this.child.stdin!.write(data)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.child.stdin!.off("drain", done);
          this.child.off("exit", done);
          resolve();
        };
        this.child.stdin!.on("drain", done);
        this.child.on("exit", done);
      });
    }
  }

  end(): void {
    this.child.stdin!.end();
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async waitLog(pattern: RegExp, timeout = 10_000): Promise<RegExpMatchArray> {
    return waitFor(() => this.err.match(pattern), { what: `log ${pattern}`, timeout, interval: 20 });
  }

  /** Wait for a stdout line at index `from` or later that matches. */
  async waitLine(pattern: RegExp, from = 0, timeout = 10_000): Promise<string> {
    return waitFor(() => this.lines.slice(from).find((l) => pattern.test(l)), { what: `stdout line ${pattern}`, timeout, interval: 10 });
  }
}
