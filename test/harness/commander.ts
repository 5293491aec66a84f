// The test side of commander.mjs: send ExaBGP API commands, read its answers.

import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { helper } from "./paths.js";
import { waitFor } from "./wait.js";

export class Commander {
  readonly run: string[];
  /** Lines ExaBGP wrote to the process (acks, neighbor events), in order. */
  readonly received: string[] = [];
  private socket: Socket | undefined;
  private connections = 0;
  private readonly server: Server;

  constructor(readonly socketPath: string) {
    this.run = [...helper("commander.mjs"), socketPath];
    this.server = createServer((s) => {
      this.socket?.destroy();
      this.socket = s;
      this.connections++;
      let buf = "";
      s.setEncoding("utf8");
      s.on("data", (d: string) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf("\n")) !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() !== "") this.received.push(line);
        }
      });
      s.on("error", () => {});
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  /** Resolves once ExaBGP has (re)started the process `n` times in all. */
  async connected(n = 1, timeout = 20_000): Promise<void> {
    await waitFor(() => this.connections >= n && this.socket, { what: "commander process started by ExaBGP", timeout });
  }

  async send(...lines: string[]): Promise<void> {
    await this.connected();
    this.socket!.write(lines.map((l) => l + "\n").join(""));
  }

  /** Send commands and wait for ExaBGP's `done`/`error` answer to each. */
  async command(...lines: string[]): Promise<string[]> {
    const before = this.acks().length;
    await this.send(...lines);
    await waitFor(() => this.acks().length >= before + lines.length, { what: `acks for ${lines.join(" | ")}` });
    return this.acks().slice(before, before + lines.length);
  }

  acks(): string[] {
    return this.received.filter((l) => l === "done" || l === "error");
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
