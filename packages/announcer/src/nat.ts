// NAT rules in the host's firewall (nat-rules.ts says which and how): given
// the rules wanted now, make the firewall hold exactly those, one change at a
// time and in order; at exit, take everything of ours away. The firewall is
// not touched at all until a rule is first wanted (a config without `nat`
// leaves it alone); then what a previous run left behind (it was killed) is
// cleared first.
//
// `nat_backend: auto` takes iptables where the host's iptables is the legacy
// one (its rules are what the operator reads there), else nftables when `nft`
// runs, else iptables.

import type { Logger } from "@exacast/core";
import { runProcess } from "@exacast/runtime";
import type { IptablesCommand, NatRule } from "./nat-rules.js";
import { NAT_CHAIN, iptablesDiff, nftScript } from "./nat-rules.js";

export type NatBackendName = "nftables" | "iptables";

/** Runs one command: its argv → exit 0 or not, and what it printed. */
export type NatRunner = (argv: readonly string[]) => Promise<{ ok: boolean; output: string }>;

const TIMEOUT_MS = 5000;

export const runNatCommand: NatRunner = async (argv) => {
  const r = await runProcess(argv, { timeoutMs: TIMEOUT_MS });
  return { ok: r.ok, output: r.ok ? r.output : `${r.status}: ${r.output}` };
};

/** Which backend `auto` means on this host. */
export async function detectBackend(run: NatRunner): Promise<NatBackendName> {
  const ipt = await run(["iptables", "--version"]);
  if (ipt.ok && /legacy/.test(ipt.output)) return "iptables";
  return (await run(["nft", "--version"])).ok ? "nftables" : "iptables";
}

const families = ["iptables", "ip6tables"] as const;

export class NatController {
  private backend: NatBackendName | null;
  /** What the firewall holds (as far as our commands succeeded). */
  private installed: readonly NatRule[] = [];
  private wanted: readonly NatRule[] = [];
  /** The firewall was touched: clear it at exit. */
  private touched = false;
  /** iptables programs whose chain and jump are in place. */
  private readonly ready = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(
    choice: "auto" | NatBackendName,
    private readonly log: Logger,
    private readonly run: NatRunner = runNatCommand,
  ) {
    this.backend = choice === "auto" ? null : choice;
  }

  /** The rules wanted now; applied in the background, in order, the latest wish winning. */
  want(rules: readonly NatRule[]): void {
    this.wanted = rules;
    if (this.queued || (!this.touched && rules.length === 0)) return;
    this.queued = true;
    this.enqueue(async () => {
      this.queued = false;
      await this.sync();
    });
  }

  /** Resolves when every change asked for so far was tried. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Remove every rule, table and chain of ours (at exit); resolves when done. */
  clear(): Promise<void> {
    this.wanted = [];
    this.enqueue(async () => {
      if (!this.touched) return;
      await this.reset();
      this.installed = [];
      this.log.info("nat_cleared", { backend: this.backend });
    });
    return this.chain;
  }

  private async sync(): Promise<void> {
    const wanted = this.wanted;
    if (!this.backend) {
      this.backend = await detectBackend(this.run);
      this.log.info("nat_backend", { backend: this.backend });
    }
    if (!this.touched) {
      this.touched = true;
      await this.reset();
    }
    const ok = this.backend === "nftables" ? await this.applyNft(wanted) : await this.applyIptables(wanted);
    if (ok) this.log.info("nat_rules", { backend: this.backend, rules: wanted.length, ...(wanted.length ? { now: wanted.map(ruleText).join(", ") } : {}) });
  }

  private async applyNft(wanted: readonly NatRule[]): Promise<boolean> {
    const r = await this.run(["nft", nftScript(wanted)]);
    if (!r.ok) {
      this.log.error("nat_failed", { backend: "nftables", error: r.output.slice(0, 400) });
      return false;
    }
    this.installed = wanted;
    return true;
  }

  private async applyIptables(wanted: readonly NatRule[]): Promise<boolean> {
    let ok = true;
    for (const cmd of iptablesDiff(this.installed, wanted)) {
      if (!(await this.ensureChain(cmd[0]))) return false;
      const r = await this.run(cmd);
      if (!r.ok) {
        ok = false;
        this.log.error("nat_failed", { backend: "iptables", command: cmd.join(" "), error: r.output.slice(0, 400) });
      }
    }
    // The firewall now holds what was wanted, less what failed: retried at the next change.
    this.installed = ok ? wanted : await this.listed(wanted);
    return ok;
  }

  /** Our chain and PREROUTING's jump to it, for one of iptables/ip6tables. */
  private async ensureChain(program: IptablesCommand[0]): Promise<boolean> {
    if (this.ready.has(program)) return true;
    const nat = [program, "-t", "nat"];
    await this.run([...nat, "-N", NAT_CHAIN]);
    const jump = await this.run([...nat, "-C", "PREROUTING", "-j", NAT_CHAIN]);
    const r = jump.ok ? jump : await this.run([...nat, "-I", "PREROUTING", "-j", NAT_CHAIN]);
    if (!r.ok) {
      this.log.error("nat_failed", { backend: "iptables", command: `${program} -t nat -I PREROUTING -j ${NAT_CHAIN}`, error: r.output.slice(0, 400) });
      return false;
    }
    this.ready.add(program);
    return true;
  }

  /** After a failure: which of `wanted` are really in our chains (so the next diff is right). */
  private async listed(wanted: readonly NatRule[]): Promise<NatRule[]> {
    const out: NatRule[] = [];
    for (const r of wanted) {
      const args = iptablesDiff([], [r])[0]!;
      const check = await this.run([args[0], "-t", "nat", "-C", ...args.slice(4)]);
      if (check.ok) out.push(r);
    }
    return out;
  }

  /** Nothing of ours left: the nft table, or the iptables jumps and chains. Failures are expected (nothing there). */
  private async reset(): Promise<void> {
    if (this.backend === "nftables") {
      const r = await this.run(["nft", nftScript([])]);
      if (!r.ok) this.log.error("nat_failed", { backend: "nftables", error: r.output.slice(0, 400) });
      return;
    }
    for (const program of families) {
      const nat = [program, "-t", "nat"];
      // One jump is ours; more than one can only be left by hand or by a crash mid-way: take them all (bounded).
      for (let i = 0; i < 16 && (await this.run([...nat, "-D", "PREROUTING", "-j", NAT_CHAIN])).ok; i++);
      await this.run([...nat, "-F", NAT_CHAIN]);
      await this.run([...nat, "-X", NAT_CHAIN]);
    }
    this.ready.clear();
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((e: Error) => this.log.error("nat_error", { error: e.message }));
  }
}

const ruleText = (r: NatRule) => `${r.vip.text} ${r.protocol}:${r.port}->${r.toPort}`;
