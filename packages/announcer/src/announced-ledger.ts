// What ExaBGP may hold from this announcer, across its restarts. Pure
// bookkeeping; the disk is behind LedgerStore (announced-store.ts).
//
// ExaBGP keeps the routes of a process that died (kill -9, SIGUSR2) and starts
// it again with nothing replayed. A VIP the new process knows no app for (an
// app registered over HTTP and lost, an app removed from the config) would
// stay announced with nothing checking it. So the ledger keeps on disk every
// VIP that may be announced: written BEFORE a VIP's first announce goes out,
// dropped only once its withdraw was answered. What a predecessor left there
// is inherited: once every source of apps is loaded (the sweep), an inherited
// VIP no app names is withdrawn; one an app names gets that app's first
// verdict, as before. The file may hold more than ExaBGP does (a withdraw
// again costs nothing), never less.

import type { Prefix, RouteSpec } from "@exacast/core";
import { buildWithdraw } from "@exacast/core";
import type { Change, SentRoute } from "./planner.js";

/** Where the ledger keeps its routes. */
export interface LedgerStore {
  /** `key`'s route is on disk, or the store cannot keep anything (then nothing waits for it). */
  covers(key: string): boolean;
  /** Keep exactly these routes; resolves once they are on disk (or the write failed, logged). */
  save(routes: ReadonlyMap<string, RouteSpec>): Promise<void>;
  /** Stop writing (the process is stopping: a successor may already be running). */
  freeze(): void;
}

/** No file (announced_file: null): nothing is kept, nothing waits. */
export const NO_LEDGER_STORE: LedgerStore = { covers: () => true, save: async () => {}, freeze: () => {} };

export class AnnouncedLedger {
  /** Announced by a predecessor, no verdict from this process yet. */
  private readonly inherited = new Map<string, RouteSpec>();
  /** Being written to disk before their first announce. */
  private readonly claiming = new Map<string, RouteSpec>();
  /** Withdrawn, the withdraw not answered yet. */
  private readonly releasing = new Map<string, RouteSpec>();
  private swept = false;
  private frozen = false;

  constructor(
    private readonly store: LedgerStore,
    private readonly sent: () => ReadonlyMap<string, SentRoute>,
  ) {}

  /** What the previous process left on disk. */
  inherit(routes: readonly RouteSpec[]): void {
    for (const r of routes) this.inherited.set(r.prefix.text, r);
  }

  get inheritedCount(): number {
    return this.inherited.size;
  }

  /** Every source of apps is loaded: inherited VIPs no app names may now be withdrawn (the VIPs to look at). */
  sweep(): Prefix[] {
    this.swept = true;
    return [...this.inherited.values()].map((r) => r.prefix);
  }

  /** The withdraw of an inherited VIP no app names, once the sweep is on; null otherwise. */
  orphanWithdraw(prefix: Prefix): Change | null {
    return this.swept ? this.inheritedWithdraw(prefix) : null;
  }

  /** The withdraw of an inherited VIP with the next hop (and path id) it was announced with. */
  inheritedWithdraw(prefix: Prefix): Change | null {
    const r = this.inherited.get(prefix.text);
    if (!r) return null;
    const w = buildWithdraw(r);
    return w.ok ? { kind: "withdraw", prefix, line: w.value } : null;
  }

  /**
   * May `key` be announced now? Yes once its route is on disk. Otherwise it is
   * written first and `retry` runs when it is (once, however often this is asked).
   */
  readyToAnnounce(key: string, route: RouteSpec, retry: () => void): boolean {
    if (this.frozen || this.sent().has(key) || this.store.covers(key)) return true;
    if (!this.claiming.has(key)) {
      this.claiming.set(key, route);
      void this.persist().then(retry);
    }
    return false;
  }

  /**
   * After the retry of a claim: if the VIP was not announced after all (its
   * apps changed their mind meanwhile), it need not stay on disk.
   */
  claimSettled(key: string): void {
    if (this.claiming.delete(key)) this.persist();
  }

  /** A verdict on `key` was sent: `route` is what a withdraw takes back. */
  decided(change: Change, route: RouteSpec | undefined): void {
    const key = change.prefix.text;
    const was = this.inherited.get(key);
    this.inherited.delete(key);
    this.claiming.delete(key);
    if (change.kind === "announce") this.releasing.delete(key);
    else if (route ?? was) this.releasing.set(key, (route ?? was)!);
    this.persist();
  }

  /** Every command written so far was answered: the withdrawn VIPs are gone from ExaBGP. */
  settled(): void {
    if (this.releasing.size === 0) return;
    this.releasing.clear();
    this.persist();
  }

  /** The withdraws of the inherited VIPs this process never gave a verdict on (at shutdown, with the rest). */
  undecidedWithdraws(): Change[] {
    return [...this.inherited.values()].flatMap((r) => this.inheritedWithdraw(r.prefix) ?? []);
  }

  /** Stopping: what is on disk stays as it is for the next process. */
  freeze(): void {
    this.frozen = true;
    this.store.freeze();
  }

  /** What the file must hold now. */
  routes(): Map<string, RouteSpec> {
    const out = new Map<string, RouteSpec>();
    for (const m of [this.inherited, this.claiming, this.releasing]) for (const [k, r] of m) out.set(k, r);
    for (const [k, s] of this.sent()) out.set(k, s.route);
    return out;
  }

  private persist(): Promise<void> {
    if (this.frozen) return Promise.resolve();
    return this.store.save(this.routes());
  }
}
