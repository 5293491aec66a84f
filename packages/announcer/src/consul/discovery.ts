// Consul discovery: two blocking-query loops against the local agent.
//
//   services: GET /v1/catalog/node/<node>?index=…&wait=…  → the apps (sink)
//   checks:   GET /v1/health/node/<node>?index=…&wait=…   → `consul` checks
//
// A blocking query returns as soon as Consul's index moves, so a service
// registered or removed is acted on within milliseconds; `wait` only bounds
// how long a query hangs when nothing changes. When a query fails (agent
// down, ACL refusal, no leader, the node not visible) the loop logs once per
// outage, keeps every app it knew, and retries every `interval`; `consul`
// checks hold their last result for `hold`, then fail (ConsulHealth).

import type { Logger } from "@exacast/core";
import type { ConsulConfig } from "../config.js";
import type { Answer, ConsulApi } from "./client.js";
import type { ConsulHealth } from "./health.js";
import type { ConsulService } from "./tags.js";

export interface DiscoveryStatus {
  node: string | null;
  /** null: no answer yet. */
  reachable: boolean | null;
  lastError: string | null;
  /** When the current outage began (performance.now() ms), or null. */
  since: number | null;
  updates: number;
  errors: number;
  /** Services on the node at the last answer. */
  services: number;
}

export interface DiscoveryDeps {
  readonly api: ConsulApi;
  readonly health: ConsulHealth;
  readonly log: Logger;
  readonly now: () => number;
  /** The node's services changed: make the apps match. Returns how many apps Consul now has. */
  readonly sink: (services: readonly ConsulService[]) => number;
  /** The checks changed: `consul` checks whose verdict moved may run now. */
  readonly onChecks: () => void;
}

/** The index of the next blocking query, as Consul's documentation asks: reset when it goes backwards, never below 1. */
export function nextIndex(previous: string | null, got: string | null): string | null {
  if (got === null || !/^\d{1,20}$/.test(got)) return null;
  const g = BigInt(got);
  if (previous !== null && g < BigInt(previous)) return "0";
  return g < 1n ? "1" : g.toString();
}

class NotVisible extends Error {}

export class ConsulDiscovery {
  readonly status: DiscoveryStatus = { node: null, reachable: null, lastError: null, since: null, updates: 0, errors: 0, services: 0 };
  private stopped = false;
  private readonly sleepers = new Set<() => void>();
  private logged: string | null = null;
  /** The queries failing now: Consul is reachable only when none is. */
  private readonly failing = new Set<string>();
  private warned = new Set<string>();
  private apps = 0;

  constructor(
    private readonly cfg: ConsulConfig,
    private readonly deps: DiscoveryDeps,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.deps.api.close();
    for (const wake of this.sleepers) wake();
  }

  private async run(): Promise<void> {
    const node = await this.resolveNode();
    if (node === null) return;
    this.status.node = node;
    this.deps.health.setNode(node);
    void this.watchChecks(node);
    await this.watchServices(node);
  }

  private async resolveNode(): Promise<string | null> {
    if (this.cfg.node) return this.cfg.node;
    while (!this.stopped) {
      try {
        const node = await this.deps.api.nodeName();
        this.reached("agent/self");
        this.deps.log.info("consul_node", { node, from: "/v1/agent/self" });
        return node;
      } catch (e) {
        if (this.stopped) break;
        this.failed(e, "agent/self");
        await this.sleep(this.cfg.interval);
      }
    }
    return null;
  }

  private async watchServices(node: string): Promise<void> {
    let index: string | null = null;
    while (!this.stopped) {
      const started = this.deps.now();
      try {
        const a = await this.deps.api.nodeServices(node, { index, waitMs: this.cfg.wait });
        if (this.stopped) return;
        this.aclWarnings(a);
        if (a.body === null) throw new NotVisible(this.notVisible(node));
        this.reached("catalog");
        const changed = index === null || a.index !== index;
        const next = nextIndex(index, a.index);
        if (changed) {
          // A new service's checks must be known before its first check runs.
          const checks = await this.deps.api.nodeChecks(node, { index: null, waitMs: this.cfg.wait });
          if (this.stopped) return;
          this.deps.health.setChecks(checks.body);
          this.deps.health.setServices(a.body);
          this.deliver(a.body);
        }
        index = next;
        // An answer with no change that came back at once would spin: pace it.
        if ((!changed || next === null) && this.deps.now() - started < 100) await this.sleep(this.cfg.interval);
      } catch (e) {
        if (this.stopped) return;
        this.failed(e, "catalog");
        // The next query answers at once: a blocking one would hide that the agent is back.
        index = null;
        await this.sleep(this.cfg.interval);
      }
    }
  }

  private async watchChecks(node: string): Promise<void> {
    let index: string | null = null;
    while (!this.stopped) {
      const started = this.deps.now();
      try {
        const a = await this.deps.api.nodeChecks(node, { index, waitMs: this.cfg.wait });
        if (this.stopped) return;
        this.reached("health");
        const changed = index === null || a.index !== index;
        const next = nextIndex(index, a.index);
        if (changed) {
          this.deps.health.setChecks(a.body);
          this.deps.onChecks();
        } else this.deps.health.answered();
        index = next;
        if ((!changed || next === null) && this.deps.now() - started < 100) await this.sleep(this.cfg.interval);
      } catch (e) {
        if (this.stopped) return;
        this.failed(e, "health");
        index = null;
        await this.sleep(this.cfg.interval);
      }
    }
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

  private notVisible(node: string): string {
    return (
      `node ${node} is not in Consul's answer: wrong consul.node, or the token (${this.cfg.tokenFrom ?? "none given"}) lacks node:read` +
      " (Consul hides what a token may not read instead of refusing)"
    );
  }

  private aclWarnings(a: Answer<unknown>): void {
    if (a.aclPolicy === "deny" && this.cfg.token === null) {
      this.warnOnce("no_token", "consul_acl_no_token", { hint: "Consul's ACL default policy is deny and no token is set (consul.token or CONSUL_HTTP_TOKEN): its answers will be empty" });
    }
    if (a.filtered) this.warnOnce("filtered", "consul_acl_filtered", { hint: "Consul hid entries this token may not read", token: this.cfg.tokenFrom ?? "none" });
  }

  private warnOnce(key: string, event: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.deps.log.warn(event, fields);
  }

  private reached(what: string): void {
    this.failing.delete(what);
    // One query answering while the other fails (ACLs) is no recovery: no log flapping every retry.
    if (this.failing.size > 0) return;
    const s = this.status;
    if (s.reachable === false) {
      this.deps.log.info("consul_reachable", { after_ms: s.since === null ? null : Math.round(this.deps.now() - s.since), errors: s.errors });
    }
    s.reachable = true;
    s.since = null;
    s.lastError = null;
    this.logged = null;
  }

  private failed(e: unknown, what: string): void {
    const s = this.status;
    const message = describe(e);
    this.failing.add(what);
    s.errors++;
    s.lastError = `${what}: ${message}`;
    if (s.reachable !== false) {
      s.since = this.deps.now();
      // When the hold ends, `consul` checks fail: let them run then, not at their next interval.
      const holdEnd = setTimeout(() => this.status.reachable === false && !this.stopped && this.deps.onChecks(), this.cfg.hold + 1);
      holdEnd.unref();
    }
    s.reachable = false;
    this.deps.health.lost();
    // Once per outage, and again only if the kind of cause changes (the
    // agent down, then up but refusing the token): not once per retry.
    const kind = e instanceof NotVisible ? "not_visible" : typeof (e as { statusCode?: unknown })?.statusCode === "number" ? `http ${(e as { statusCode: number }).statusCode}` : "network";
    if (this.logged === kind) {
      this.deps.log.debug("consul_retry", { query: what, error: message });
      return;
    }
    this.logged = kind;
    this.deps.log.error(e instanceof NotVisible ? "consul_not_visible" : "consul_unreachable", {
      query: what,
      error: message,
      keeping_apps: this.apps,
      retry_ms: this.cfg.interval,
      consul_checks_hold_ms: this.cfg.hold,
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

function describe(e: unknown): string {
  const err = e as { message?: string; code?: string; statusCode?: number };
  const msg = typeof err?.message === "string" && err.message !== "" ? err.message : String(e);
  const status = typeof err?.statusCode === "number" ? `HTTP ${err.statusCode}: ` : "";
  return `${status}${err?.code && !msg.includes(err.code) ? `${err.code} ` : ""}${msg}`.slice(0, 300);
}
