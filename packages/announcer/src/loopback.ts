// manage_loopback: the host answers for a VIP only while its address is on
// `lo`. Two modes:
//   announced  the address is put on `lo` before the VIP is first announced
//              and taken off when it is withdrawn (healthcheck's
//              --dynamic-ip-setup);
//   always     every VIP an app names is on `lo` from start (or from when
//              the app is added) to exit: a service that binds to its VIP
//              can start before its checks pass (healthcheck's default).
// Either way a VIP is announced only once its address is in place (ready()),
// and `lo` is read again every `verifyMs`: an address someone deleted is put
// back at once, loudly logged, and when that fails the VIP is withdrawn
// (onChange) until it can be.
//
// An address that was on `lo` before (configured by hand) is left there:
// only what we added is removed — and, with a label, what carries it
// (a predecessor killed before it could clean up). Linux labels only IPv4
// addresses. `ip` commands run one at a time, in order.

import type { Logger, Prefix } from "@exacast/core";
import { parsePrefix } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import { runProcess } from "@exacast/runtime";

export interface Loopback {
  /** The VIP's address is on `lo`: it may be announced. If not, it is being put there; onChange says when. */
  ready(prefix: Prefix): boolean;
  /** The VIP was withdrawn. */
  remove(prefix: Prefix): void;
  /** Remove every address we added; resolves when done (bounded by the command timeout). */
  removeAll(): Promise<void>;
}

export type IpRunner = (args: readonly string[]) => Promise<{ code: number; output: string }>;

const TIMEOUT_MS = 5000;

export const runIp: IpRunner = async (args) => {
  const r = await runProcess(["ip", ...args], { timeoutMs: TIMEOUT_MS });
  return { code: r.exitCode ?? 1, output: r.ok ? r.output : r.output || r.status };
};

export interface LoopbackOptions {
  readonly mode: "announced" | "always";
  readonly label: string | null;
  readonly clock: Clock;
  /** How often `lo` is read to find addresses someone removed. */
  readonly verifyMs: number;
  readonly device?: string;
}

/** `ip -o address show dev <device>` → each address (as prefix text) with its label ("" when none). */
export function parseAddressList(text: string, device = "lo"): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /\sinet6?\s+(\S+)\s(.*)$/.exec(line);
    const p = m ? parsePrefix(m[1]!.toLowerCase()) : null;
    if (!m || !p?.ok) continue;
    // IPv4 lines carry the label after the scope and flags: `scope global lo:exacast\ valid_lft …`.
    const label = m[2]!.split(/\s+/).map((t) => t.replace(/\\$/, "")).find((t) => t.startsWith(`${device}:`)) ?? "";
    out.set(p.value.text, label);
  }
  return out;
}

export class LoopbackManager implements Loopback {
  /** Called when a VIP's address came into place or went missing: plan it again. */
  onChange: (prefix: Prefix) => void = () => {};
  /** Addresses to have on `lo`: always, every VIP named; announced, those asked for and not withdrawn. */
  private readonly wanted = new Map<string, Prefix>();
  /** Seen on `lo` (or put there) and wanted. */
  private readonly present = new Set<string>();
  /** Put there by us (or carrying our label): removed when no longer wanted. */
  private readonly ours = new Set<string>();
  private readonly adding = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private timer: unknown = null;
  private readonly device: string;

  constructor(
    private readonly opts: LoopbackOptions,
    private readonly log: Logger,
    private readonly ip: IpRunner = runIp,
  ) {
    this.device = opts.device ?? "lo";
  }

  private get labelText(): string | null {
    return this.opts.label ? `${this.device}:${this.opts.label}` : null;
  }

  /** Read `lo` once (adopting what carries our label), then keep reading it. */
  start(): Promise<void> {
    this.enqueue(async () => {
      const list = await this.list();
      for (const [text, label] of list ?? []) {
        if (this.labelText && label === this.labelText) {
          this.ours.add(text);
          this.log.info("loopback_adopted", { vip: text, dev: this.device, label });
        }
      }
    });
    this.schedule();
    return this.chain;
  }

  stop(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  ready(prefix: Prefix): boolean {
    if (this.present.has(prefix.text)) return true;
    if (!this.wanted.has(prefix.text)) this.wanted.set(prefix.text, prefix);
    this.add(prefix);
    return false;
  }

  /** always: the VIPs every app names now (added ones go on `lo`, dropped ones come off). */
  keep(vips: Iterable<Prefix>): void {
    if (this.opts.mode !== "always") return;
    const next = new Map<string, Prefix>();
    for (const p of vips) next.set(p.text, p);
    for (const [text, p] of this.wanted) if (!next.has(text)) this.release(p);
    for (const [text, p] of next) {
      if (!this.wanted.has(text)) this.wanted.set(text, p);
      if (!this.present.has(text)) this.add(p);
    }
  }

  remove(prefix: Prefix): void {
    if (this.opts.mode === "announced") this.release(prefix);
  }

  removeAll(): Promise<void> {
    this.stop();
    this.wanted.clear();
    // Read `ours` only once the tasks before have run: an add still in flight is ours too.
    this.enqueue(async () => {
      for (const text of [...this.ours]) await this.del(text);
    });
    return this.chain;
  }

  /** Read `lo` and put back what went missing; what cannot be put back is withdrawn. */
  verify(): Promise<void> {
    this.enqueue(async () => {
      const list = await this.list();
      if (!list) return;
      for (const text of [...this.present]) {
        if (list.has(text)) continue;
        const p = this.wanted.get(text);
        this.present.delete(text);
        if (!p) continue;
        const back = await this.addNow(p);
        this.log.error("loopback_missing", {
          vip: text,
          dev: this.device,
          action: back ? "added again" : "withdrawn until it can be added",
          hint: "the address was removed from lo by something else; with manage_loopback the announcer keeps it there",
        });
        if (!back) this.onChange(p);
      }
      // Wanted but not in place (an earlier add failed): try again.
      for (const p of this.wanted.values()) if (!this.present.has(p.text) && !this.adding.has(p.text)) this.add(p);
    });
    return this.chain;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      void this.verify().finally(() => {
        if (this.timer !== null) this.schedule();
      });
    }, this.opts.verifyMs);
  }

  private release(p: Prefix): void {
    this.wanted.delete(p.text);
    this.present.delete(p.text);
    this.enqueue(() => this.del(p.text));
  }

  private add(p: Prefix): void {
    if (this.adding.has(p.text)) return;
    this.adding.add(p.text);
    this.enqueue(async () => {
      this.adding.delete(p.text);
      if (!this.wanted.has(p.text) || this.present.has(p.text)) return;
      if (await this.addNow(p)) this.onChange(p);
    });
  }

  /** `ip address add`; true when the address is (now) on `lo`. */
  private async addNow(p: Prefix): Promise<boolean> {
    const label = p.family === 4 && this.labelText ? ["label", this.labelText] : [];
    const r = await this.ip(["address", "add", p.text, "dev", this.device, ...label]);
    if (r.code === 0) {
      this.ours.add(p.text);
      this.log.info("loopback_add", { vip: p.text, dev: this.device, ...(label.length ? { label: this.labelText } : {}) });
    } else if (/exists|already assigned/i.test(r.output)) {
      if (!this.ours.has(p.text)) this.log.info("loopback_present", { vip: p.text, dev: this.device, note: "already configured; it will be left in place" });
    } else {
      this.log.error("loopback_add_failed", { vip: p.text, dev: this.device, code: r.code, stderr: r.output.slice(0, 300), hint: "the VIP is not announced until its address is on lo" });
      return false;
    }
    this.present.add(p.text);
    return true;
  }

  private async del(text: string): Promise<void> {
    if (!this.ours.has(text) || this.wanted.has(text)) return;
    this.ours.delete(text);
    const r = await this.ip(["address", "del", text, "dev", this.device]);
    if (r.code === 0) this.log.info("loopback_del", { vip: text, dev: this.device });
    else this.log.error("loopback_del_failed", { vip: text, dev: this.device, code: r.code, stderr: r.output.slice(0, 300) });
  }

  private async list(): Promise<Map<string, string> | null> {
    const r = await this.ip(["-o", "address", "show", "dev", this.device]);
    if (r.code === 0) return parseAddressList(r.output, this.device);
    this.log.warn("loopback_list_failed", { dev: this.device, code: r.code, stderr: r.output.slice(0, 300) });
    return null;
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((e: Error) => this.log.error("loopback_error", { error: e.message }));
  }
}
