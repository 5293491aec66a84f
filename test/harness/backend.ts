// A health-checked service for tests: a TCP listener on a loopback address
// that accepts and closes, stopped and started again on the same port (a
// backend going down and coming back).

import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";

export class TcpBackend {
  private server: Server | null = null;
  /** Chosen by the kernel at the first start, kept after. */
  port = 0;

  constructor(readonly host = "127.0.0.1") {}

  get up(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const s = createServer((c) => {
      c.on("error", () => {});
      c.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(this.port, this.host, resolve);
    });
    this.port = (s.address() as AddressInfo).port;
    this.server = s;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise((r) => s.close(r));
  }
}
