// manage_loopback: a VIP is put on `lo` when it is first announced and taken
// off when it is withdrawn or the announcer exits, so the host answers for
// the address exactly while it attracts the traffic. An address that was on
// `lo` before (configured by hand) is left alone: only what we added is
// removed. Commands run one at a time, in order.

import type { Logger, Prefix } from "@exacast/core";
import { runProcess } from "@exacast/runtime";

export interface Loopback {
  add(prefix: Prefix): void;
  remove(prefix: Prefix): void;
  /** Remove every address we added; resolves when done (bounded by the command timeout). */
  removeAll(): Promise<void>;
}

export type IpRunner = (args: readonly string[]) => Promise<{ code: number; stderr: string }>;

const TIMEOUT_MS = 5000;

export const runIp: IpRunner = async (args) => {
  const r = await runProcess(["ip", ...args], { timeoutMs: TIMEOUT_MS });
  // `ip` says what went wrong on stderr; stdout is empty for add and del.
  return { code: r.exitCode ?? 1, stderr: r.ok ? "" : r.output || r.status };
};

export class LoopbackManager implements Loopback {
  private readonly added = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    private readonly ip: IpRunner = runIp,
    private readonly device = "lo",
  ) {}

  add(prefix: Prefix): void {
    this.enqueue(async () => {
      if (this.added.has(prefix.text)) return;
      const r = await this.ip(["address", "add", prefix.text, "dev", this.device]);
      if (r.code === 0) {
        this.added.add(prefix.text);
        this.log.info("loopback_add", { vip: prefix.text, dev: this.device });
      } else if (/exists|already assigned/i.test(r.stderr)) {
        this.log.info("loopback_present", { vip: prefix.text, dev: this.device, note: "already configured; it will be left in place" });
      } else {
        this.log.error("loopback_add_failed", { vip: prefix.text, dev: this.device, code: r.code, stderr: r.stderr });
      }
    });
  }

  remove(prefix: Prefix): void {
    this.enqueue(() => this.del(prefix.text));
  }

  removeAll(): Promise<void> {
    for (const text of [...this.added]) this.enqueue(() => this.del(text));
    return this.chain;
  }

  private async del(text: string): Promise<void> {
    if (!this.added.has(text)) return;
    this.added.delete(text);
    const r = await this.ip(["address", "del", text, "dev", this.device]);
    if (r.code === 0) this.log.info("loopback_del", { vip: text, dev: this.device });
    else this.log.error("loopback_del_failed", { vip: text, dev: this.device, code: r.code, stderr: r.stderr });
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((e: Error) => this.log.error("loopback_error", { error: e.message }));
  }
}
