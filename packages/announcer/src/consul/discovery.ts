// Consul discovery: two blocking-query watches (watch.ts) on the local agent.
//
//   services: GET /v1/catalog/node/<node>?stale&index=…&wait=…  → the apps (sink)
//   checks:   GET /v1/health/node/<node>?stale&index=…&wait=…   → `consul` checks
//
// A blocking query returns as soon as Consul's index moves, so a service
// registered or removed is acted on within milliseconds; `wait` only bounds
// how long a query hangs when nothing changes. ?stale (unless consul.stale is
// false) lets any server answer, so reads go on while the cluster elects a
// leader. When a query fails (agent down, ACL refusal, the node not in the
// catalog) the outage is logged once, every known app is kept, and the watch
// retries (with back-off when the servers answered the error); `consul` checks hold their last result for `hold`,
// then fail (ConsulHealth). A service that vanishes from an answer Consul
// filtered by ACLs is kept as long as the agent still has it (a 403, not a
// 404, on /v1/agent/service/<id>): it cannot be seen, it is not gone.

import { hostname as osHostname } from "node:os";
import type { Logger } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import type { ConsulConfig } from "../config.js";
import type { Answer, BlockingQuery, ConsulApi, HealthCheck, LocalService } from "./client.js";
import type { ConsulHealth } from "./health.js";
import { resolveNodeName } from "./node-name.js";
import { NotVisible, Reachability, type DiscoveryStatus } from "./reachability.js";
import type { ConsulService } from "./tags.js";
import { isOurs } from "./tags.js";
import { afterFailure, BlockingWatch, INITIAL } from "./watch.js";

export type { DiscoveryStatus } from "./reachability.js";

export interface DiscoveryDeps {
  readonly api: ConsulApi;
  readonly health: ConsulHealth;
  readonly log: Logger;
  readonly now: () => number;
  /** Timers (default: the process's, with `now`). */
  readonly clock?: Clock;
  readonly random?: () => number;
  /** This host's name, Consul's default node name (default os.hostname()). */
  readonly hostname?: string;
  /** The node's services changed: make the apps match. Returns how many apps Consul now has. */
  readonly sink: (services: readonly ConsulService[]) => number;
  /** The checks changed (or a held result ran out): `consul` checks whose verdict moved may run now. */
  readonly onChecks: () => void;
}

/**
 * Answers that are errors (403, 500 "No cluster leader", a node not visible)
 * come from the servers: retry them with back-off. The local agent not
 * answering at all (refused, reset) costs nothing to ask again every
 * `interval`, and a restarted agent is then seen within it.
 */
function backsOff(e: unknown): boolean {
  return e instanceof NotVisible || typeof (e as { statusCode?: unknown })?.statusCode === "number";
}

export class ConsulDiscovery {
  private readonly rx: Reachability;
  private readonly clock: Clock;
  private stopped = false;
  private readonly watches: BlockingWatch<Answer<unknown>>[] = [];
  private readonly sleepers = new Set<() => void>();
  private expiry: { at: number; handle: unknown } | null = null;
  private apps = 0;
  /** The services last handed on, by ID (hidden ones kept included). */
  private known = new Map<string, ConsulService>();
  private readonly hiddenLogged = new Set<string>();

  constructor(
    private readonly cfg: ConsulConfig,
    private readonly deps: DiscoveryDeps,
  ) {
    this.rx = new Reachability(cfg, deps.log, deps.now);
    // Discovery's timers alone never keep the process alive.
    this.clock = deps.clock ?? { now: deps.now, setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  get status(): DiscoveryStatus {
    return this.rx.status;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.stop();
    this.deps.api.close();
    for (const wake of this.sleepers) wake();
    if (this.expiry) this.clock.clearTimeout(this.expiry.handle);
  }

  private query(index: string | null): BlockingQuery {
    return { index, waitMs: this.cfg.wait, stale: this.cfg.stale };
  }

  private async run(): Promise<void> {
    const node = await this.resolveNode();
    if (node === null || this.stopped) return;
    this.status.node = node;
    this.deps.health.setNode(node);
    const opts = { waitMs: this.cfg.wait, retryMs: this.cfg.interval, clock: this.clock, ...(this.deps.random ? { random: this.deps.random } : {}) };
    const reset = (what: string) => (from: string, to: string) => this.deps.log.info("consul_index_reset", { query: what, from, to, why: "the index went backwards (a snapshot restore, or another server's stale read): starting over" });
    const checks = new BlockingWatch<Answer<HealthCheck[]>>(
      {
        fetch: (q) => this.deps.api.nodeChecks(node, this.query(q.index)),
        onAnswer: (a, fresh) => this.onChecks(a, fresh),
        onFailure: (e) => this.failed(e, "health"),
        backsOff,
        onReset: reset("health"),
      },
      opts,
    );
    const services = new BlockingWatch<Answer<ConsulService[] | null>>(
      {
        fetch: (q) => this.deps.api.nodeServices(node, this.query(q.index)),
        onAnswer: (a, fresh) => this.onServices(node, a, fresh),
        onFailure: (e) => this.failed(e, "catalog"),
        backsOff,
        onReset: reset("catalog"),
      },
      opts,
    );
    this.watches.push(checks as never, services as never);
    await Promise.all([checks.run(), services.run()]);
  }

  private async resolveNode(): Promise<string | null> {
    if (this.cfg.node) return this.cfg.node;
    let state = INITIAL;
    while (!this.stopped) {
      try {
        const n = await resolveNodeName(this.deps.api, this.deps.hostname ?? osHostname(), this.query(null));
        this.rx.reached("node");
        this.deps.log.info("consul_node", { node: n.node, from: n.from });
        return n.node;
      } catch (e) {
        if (this.stopped) break;
        this.failed(e, "node");
        const step = afterFailure(state, this.cfg.interval, (this.deps.random ?? Math.random)(), backsOff(e));
        state = step.state;
        await this.sleep(step.delayMs);
      }
    }
    return null;
  }

  private async onServices(node: string, a: Answer<ConsulService[] | null>, fresh: boolean): Promise<void> {
    this.rx.headers(a);
    if (a.body === null) {
      throw new NotVisible(
        `node ${node} is not in Consul's answer: the agent left the cluster (or is restarting), consul.node is wrong, ` +
          `or the token (${this.cfg.tokenFrom ?? "none given"}) lacks node:read (Consul hides what a token may not read instead of refusing)`,
      );
    }
    this.rx.reached("catalog");
    if (!fresh) return;
    const services = await this.keepHidden(a.body, a.filtered);
    // A new service's checks must be known before its first check runs.
    const checks = await this.deps.api.nodeChecks(node, this.query(null));
    if (this.stopped) return;
    this.deps.health.setChecks(checks.body, checks.filtered);
    this.deps.health.setServices(services);
    this.deliver(services);
    this.armExpiry();
  }

  private onChecks(a: Answer<HealthCheck[]>, fresh: boolean): void {
    this.rx.headers(a);
    this.rx.reached("health");
    if (fresh) {
      this.deps.health.setChecks(a.body, a.filtered);
      this.deps.onChecks();
    } else this.deps.health.answered();
    this.armExpiry();
  }

  /**
   * The services of an answer, and those Consul now hides from the token
   * though the agent still has them. Without the ACL header, what is
   * missing is gone.
   */
  private async keepHidden(visible: readonly ConsulService[], filtered: boolean): Promise<ConsulService[]> {
    const ids = new Set(visible.map((s) => s.id));
    const kept: ConsulService[] = [];
    if (filtered) {
      const tags = { tag: this.cfg.tag, allowExec: this.cfg.allowExec };
      for (const prev of this.known.values()) {
        if (ids.has(prev.id) || !isOurs(prev, tags)) continue;
        let where: LocalService;
        try {
          where = await this.deps.api.localService(prev.id);
        } catch {
          where = "hidden"; // cannot tell: keep it, as in an outage
        }
        if (where === "absent") continue;
        kept.push(prev);
        if (this.hiddenLogged.has(prev.id)) continue;
        this.hiddenLogged.add(prev.id);
        this.deps.log.warn("consul_service_hidden", {
          service: prev.id,
          hint: `Consul's answer no longer shows it to this token (X-Consul-Results-Filtered-By-ACLs) but the agent still has it: kept; its consul checks hold ${this.cfg.hold} ms`,
        });
      }
    }
    const hidden = new Set(kept.map((s) => s.id));
    for (const id of [...this.hiddenLogged]) if (!hidden.has(id)) this.hiddenLogged.delete(id);
    this.deps.health.setHidden(hidden);
    this.status.hidden = hidden.size;
    const all = [...visible, ...kept];
    this.known = new Map(all.map((s) => [s.id, s]));
    return all;
  }

  private deliver(services: readonly ConsulService[]): void {
    const before = this.apps;
    this.status.updates++;
    this.status.services = services.length;
    this.apps = this.deps.sink(services);
    if (this.apps === 0 && before > 0) {
      // Consul filters what a token may not read instead of refusing: say so loudly when everything goes.
      this.deps.log.warn("consul_no_apps", {
        node: this.status.node,
        was: before,
        services: services.length,
        token: this.cfg.tokenFrom ?? "none",
        hint: `no service on the node carries the tag ${this.cfg.tag} any more; if that is wrong, check the token's service:read`,
      });
    }
  }

  private failed(e: unknown, what: string): void {
    if (this.stopped) return;
    this.rx.failed(e, what, this.apps);
    this.deps.health.lost();
    this.armExpiry();
  }

  /** When a held `consul` result runs out, the apps are checked then, not at their next interval. */
  private armExpiry(): void {
    const at = this.deps.health.nextExpiry();
    if (this.stopped || at === null || (this.expiry !== null && this.expiry.at === at)) return;
    if (this.expiry) this.clock.clearTimeout(this.expiry.handle);
    const handle = this.clock.setTimeout(() => {
      this.expiry = null;
      if (!this.stopped) this.deps.onChecks();
    }, Math.max(0, at - this.clock.now()) + 1);
    this.expiry = { at, handle };
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.clock.clearTimeout(handle);
        this.sleepers.delete(wake);
        resolve();
      };
      const handle = this.clock.setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
