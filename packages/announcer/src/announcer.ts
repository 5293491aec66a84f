// The announcer: apps' check results → FSM → planner → ExaBGP commands.
//
// Changes are planned per VIP: a check result that changes an app marks the
// VIPs it names dirty, and one flush per event-loop turn diffs just those
// against what was sent. Everything with side effects comes in through
// `deps` (clock, output, checks, loopback), so tests drive it with a fake
// clock and no processes. What runs beside it (metrics, the HTTP API, Consul:
// runtime.ts) sees it only as an AnnouncerView: a snapshot, the registry,
// checkNow, and what it observes. What ExaBGP may hold from it is kept on
// disk for the process ExaBGP starts after this one (announced-ledger.ts).

import type { Prefix, RouteSpec } from "@exacast/core";
import { comparePrefixes } from "@exacast/core";
import type { AppCheckResult } from "./checks/index.js";
import { degradeNow } from "./degraded.js";
import type { AnnouncerDeps, AnnouncerSettings, AnnouncerStats, ShutdownReason } from "./announcer-deps.js";
import type { AppSpec } from "./model.js";
import type { Step } from "./fsm.js";
import { classifyLine } from "./channel.js";
import { LatencySketch } from "./latency.js";
import { AnnouncedLedger, NO_LEDGER_STORE } from "./announced-ledger.js";
import type { AnnouncerObserver, AnnouncerSnapshot, AnnouncerView } from "./announcer-view.js";
import { ExaBgpLink } from "./link.js";
import type { AppView, Change, SentRoute } from "./planner.js";
import { diffVip, firstWithdraw, planVip } from "./planner.js";
import type { AppEntry } from "./registry.js";
import { AppRegistry } from "./registry.js";
import { Scheduler } from "./scheduler.js";
import { logCheckResult } from "./state-log.js";
import { statsFields } from "./stats-line.js";

export { ACK_TIMEOUT_MS } from "./link.js";
/** At exit, how long to wait for ExaBGP to answer the withdrawals. */
export const EXIT_WAIT_MS = 5000;

// What it is given and how it is set up: announcer-deps.ts.
export type { AnnouncerDeps, AnnouncerSettings, AnnouncerStats, ShutdownReason } from "./announcer-deps.js";

const view = (e: AppEntry): AppView => ({ ...e.spec, serving: e.state.serving, degraded: degradeNow(e.spec, e.state) });

export class Announcer implements AnnouncerView {
  readonly registry: AppRegistry;
  readonly latency = new LatencySketch();
  readonly stats: AnnouncerStats = { checks: 0, resends: 0 };
  readonly link: ExaBgpLink;
  private readonly scheduler: Scheduler;
  private readonly sent = new Map<string, SentRoute>();
  private readonly ledger: AnnouncedLedger;
  /** VIPs this process has given a verdict on (announce or withdraw) since it started. */
  private readonly decided = new Set<string>();
  private readonly dirty = new Map<string, Prefix>();
  private flushScheduled = false;
  private draining = false;
  private stopping = false;
  /** The final withdraws are out: nothing may be planned again (a late check result, a claim landing on disk). */
  private closed = false;
  /** ExaBGP is stopping or gone: it answers no more commands. */
  private acksGone = false;
  private readonly observers: AnnouncerObserver[] = [];

  constructor(
    private cfg: AnnouncerSettings,
    private readonly deps: AnnouncerDeps,
  ) {
    this.registry = new AppRegistry(() => deps.clock.now());
    this.ledger = new AnnouncedLedger(deps.announced ?? NO_LEDGER_STORE, () => this.sent);
    const write = (lines: readonly string[]) => {
      deps.write(lines);
      for (const o of this.observers) o.wrote?.(lines);
    };
    this.link = new ExaBgpLink(cfg.ack, deps.clock, write, deps.log, { api: cfg.exabgpApi });
    this.scheduler = new Scheduler({
      clock: deps.clock,
      random: deps.random,
      check: (e) => deps.check(e),
      onResult: (e, r, s, prev) => this.onResult(e, r, s, prev),
    });
    this.registry.on((ev) => {
      // Once stopping, what was announced is being withdrawn: a late change
      // (Consul, HTTP) must not announce anything again.
      if (this.stopping) return;
      if (ev.kind === "added") this.scheduler.start(ev.entry);
      if (ev.kind === "removed") this.scheduler.stop(ev.entry.spec.name);
      if (ev.kind === "replaced") this.markDirty(ev.previous.vips);
      // A reload changed its checks: they start again now, from INIT.
      if (ev.kind === "replaced" && ev.restarted) this.scheduler.restart(ev.entry);
      if (ev.kind !== "added") this.markDirty(ev.entry.spec.vips);
      if (ev.kind !== "replaced") deps.log.info(ev.kind === "added" ? "app_added" : "app_removed", { app: ev.entry.spec.name, source: ev.entry.spec.source });
    });
  }

  observe(o: AnnouncerObserver): void {
    this.observers.push(o);
  }

  snapshot(): AnnouncerSnapshot {
    return {
      // A VIP whose announce ExaBGP refused is not announced (it is still withdrawn when its apps go).
      announced: [...this.sent.values()].filter((r) => !this.link.refused(r.prefix.text, r.announce)).sort((a, b) => comparePrefixes(a.prefix, b.prefix)),
      draining: this.draining,
      stopping: this.stopping,
      link: { ...this.link.stats },
      resends: this.stats.resends,
    };
  }

  /** Add apps, or replace those with the same name. */
  load(apps: readonly AppSpec[]): void {
    for (const a of apps) this.registry.upsert(a);
  }

  /** What a predecessor left announced (announced_file), given before any app is loaded. */
  inherit(routes: readonly RouteSpec[]): void {
    this.ledger.inherit(routes);
  }

  /** Every source of apps is loaded: inherited VIPs that no app names are withdrawn. */
  sweep(): void {
    if (!this.stopping) this.markDirty(this.ledger.sweep());
  }

  /** The drain file appeared (true) or went away (false). */
  setDraining(on: boolean): void {
    if (this.stopping || on === this.draining) return;
    this.draining = on;
    this.deps.log.info(on ? "drain_on" : "drain_off", { vips: this.sent.size });
    this.markDirty([...this.sent.values()].map((r) => r.prefix));
  }

  /** One line from ExaBGP (stdin). */
  onLine(line: string): void {
    const m = classifyLine(line);
    this.link.heard(m);
    switch (m.kind) {
      case "ack":
        this.link.answer(m.ok, line);
        if (this.link.idle) this.ledger.settled();
        return;
      case "shutdown":
        void this.shutdown("exabgp");
        return;
      case "neighbor":
        this.deps.log.info("neighbor", { neighbor: m.address, state: m.state });
        for (const o of this.observers) o.neighbor?.(m.address, m.state);
        if (m.state === "up") this.resendAll();
        return;
      case "other":
        this.deps.log.debug("stdin_ignored", { line: line.slice(0, 200) });
    }
  }

  /** Announce everything announced again (a neighbor came up: its adj-rib-out may be empty). */
  resendAll(): void {
    if (this.stopping || this.sent.size === 0) return;
    this.stats.resends++;
    this.deps.log.info("resend", { vips: this.sent.size });
    for (const [key, r] of this.sent) this.link.send(key, r.announce);
  }

  /** Run an app's checks now (what they read changed); unknown names are ignored. */
  checkNow(name: string): void {
    this.scheduler.poke(name);
  }

  /** Plan these VIPs again (their address came to `lo` or left it). */
  replan(vips: readonly Prefix[]): void {
    if (!this.stopping) this.markDirty(vips);
  }

  /** A reloaded config's settings (community_asn, next_hop, drain_time): every VIP is planned again. */
  reconfigure(s: Pick<AnnouncerSettings, "communityAsn" | "nextHop" | "drainTime">): void {
    this.cfg = { ...this.cfg, communityAsn: s.communityAsn, nextHop: s.nextHop, drainTime: s.drainTime };
    this.replan([...[...this.sent.values()].map((r) => r.prefix), ...[...this.registry.entries()].flatMap((e) => e.spec.vips)]);
  }

  private onResult(e: AppEntry, r: AppCheckResult, s: Step, prev: AppEntry["state"]): void {
    this.stats.checks++;
    for (const o of this.observers) o.checked?.(e, r);
    for (const c of r.results) if (c) this.latency.record(c.latencyMs);
    logCheckResult(this.deps.log, e, r, s, prev);
    if (s.changed && s.state.name !== prev.name) for (const o of this.observers) o.changed?.(e, prev);
    if (s.state.serving !== prev.serving || s.state.settled !== prev.settled) this.markDirty(e.spec.vips);
    // Settling DOWN/DISABLED changes no route, except a VIP's first verdict.
    else if (s.state.name !== prev.name && (s.state.name === "DOWN" || s.state.name === "DISABLED")) {
      this.markDirty(e.spec.vips.filter((v) => !this.decided.has(v.text)));
    }
  }

  private markDirty(vips: readonly Prefix[]): void {
    for (const p of vips) this.dirty.set(p.text, p);
    if (this.flushScheduled || this.dirty.size === 0) return;
    this.flushScheduled = true;
    this.deps.clock.setTimeout(() => this.flush(), 0);
  }

  /** Diff the dirty VIPs against what was sent and send the difference. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed) return this.dirty.clear();
    const opts = { communityAsn: this.cfg.communityAsn, nextHop: this.cfg.nextHop, draining: this.draining };
    const changes: Change[] = [];
    for (const [key, prefix] of this.dirty) {
      try {
        const entries = this.registry.onVip(key);
        const route = planVip(prefix, entries.map(view), opts);
        // manage_loopback: not announced before its address is on lo (replan() comes then).
        const desired = route && this.deps.loopback && !this.deps.loopback.ready(prefix) ? null : route;
        const c = diffVip(this.sent.get(key), desired) ?? this.firstVerdict(prefix, entries);
        if (c) changes.push(c);
      } catch (e) {
        this.deps.log.error("plan_error", { vip: key, error: (e as Error).message });
      }
    }
    this.dirty.clear();
    for (const c of changes) this.apply(c);
    if (this.link.idle) this.ledger.settled();
  }

  /**
   * A VIP never decided on is withdrawn once every app on it settled down
   * (DOWN or DISABLED): a predecessor that died may have left it announced.
   * While an app is still INIT, RISING or FALLING the verdict waits, so a VIP
   * whose apps come UP is never withdrawn first.
   */
  private firstVerdict(prefix: Prefix, entries: readonly AppEntry[]): Change | null {
    if (this.decided.has(prefix.text) || this.sent.has(prefix.text)) return null;
    // No app names it: withdrawn if a predecessor announced it (after the sweep).
    if (entries.length === 0) return this.ledger.orphanWithdraw(prefix);
    if (!entries.every((e) => e.state.name === "DOWN" || e.state.name === "DISABLED")) return null;
    return this.ledger.inheritedWithdraw(prefix) ?? firstWithdraw(prefix, this.cfg.nextHop, entries.map(view));
  }

  private apply(c: Change): void {
    const key = c.prefix.text;
    // A VIP's first announce waits until the ledger has it on disk.
    if (c.kind === "announce" && !this.ledger.readyToAnnounce(key, c.route.route, () => this.claimed(c.prefix))) return;
    this.decided.add(key);
    const was = this.sent.get(key);
    if (c.kind === "announce") {
      this.sent.set(key, c.route);
    } else {
      this.sent.delete(key);
      this.deps.loopback?.remove(c.prefix);
    }
    this.ledger.decided(c, c.kind === "announce" ? c.route.route : was?.route);
    const retract = c.kind === "announce" ? c.retract : undefined;
    this.deps.log.info(c.kind, { vip: key, command: c.line, ...(retract ? { retract } : {}) });
    // Neighbors or the path id it leaves, first (its own key: the announce must not replace it).
    if (retract) this.link.send(`${key} retract`, retract);
    this.link.send(key, c.line);
    if (c.kind === "withdraw" || !was) for (const o of this.observers) o.routed?.(c.prefix, c.kind === "announce");
  }

  // A VIP's claim is on disk: plan it again now (its apps may have changed meanwhile).
  private claimed(prefix: Prefix): void {
    this.markDirty([prefix]);
    this.flush();
    this.ledger.claimSettled(prefix.text);
  }

  /**
   * Stop: checks end, every announced VIP is withdrawn, exit 0. On SIGTERM or
   * SIGINT with drain_time set, the VIPs are first announced draining
   * (65535:0) for that long. When ExaBGP itself is stopping (`shutdown`, EOF)
   * it has already closed its sessions and waits for us: no drain, no acks.
   */
  async shutdown(reason: ShutdownReason): Promise<void> {
    if (reason === "stdout") this.link.outputClosed();
    if (reason !== "SIGTERM" && reason !== "SIGINT" && !this.acksGone) {
      this.acksGone = true;
      this.link.stopWaitingForAnswers();
    }
    if (this.stopping) return;
    this.stopping = true;
    // The file stays as it is: what this process withdraws now, the next one withdraws again at most.
    this.ledger.freeze();
    this.deps.log.info("shutdown", { reason, announced: this.sent.size });
    this.scheduler.stopAll();
    this.deps.stopChecks?.();
    if (!this.acksGone && this.cfg.drainTime > 0 && this.sent.size > 0) {
      this.draining = true;
      this.markDirty([...this.sent.values()].map((r) => r.prefix));
      this.flush();
      this.deps.log.info("drain", { ms: this.cfg.drainTime, vips: this.sent.size });
      await this.link.pause(this.cfg.drainTime, () => this.acksGone);
    }
    this.closed = true;
    const all = [...this.sent.values()].sort((a, b) => comparePrefixes(a.prefix, b.prefix));
    for (const r of all) this.apply({ kind: "withdraw", prefix: r.prefix, line: r.withdraw });
    for (const w of this.ledger.undecidedWithdraws()) this.apply(w);
    await this.link.pause(EXIT_WAIT_MS, () => this.link.idle || this.acksGone);
    if (!this.link.idle) this.link.stopWaitingForAnswers();
    await this.deps.loopback?.removeAll();
    this.logStats();
    this.deps.log.info("exit", { code: 0, withdrawn: all.length });
    this.deps.exit(0);
  }

  /** One log line of counters, check latency and memory (at exit, and on SIGUSR1). */
  logStats(): void {
    const s = this.stats;
    this.deps.log.info("stats", statsFields({ apps: this.registry.size, announced: this.sent.size, ...s, latency: this.latency, link: this.link.stats }));
  }
}
