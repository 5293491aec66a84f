// Whether Consul answers, as the status page, the metrics and the logs tell
// it: one line when an outage begins (again only if its kind of cause
// changes: the agent down, then up but refusing the token), one when it
// ends, debug lines for each retry; and the warnings an answer's headers
// call for (ACLs hiding entries, no leader), each once until it changes.

import type { Logger } from "@exacast/core";
import type { ConsulConfig } from "../config.js";
import type { Answer } from "./client.js";

export interface DiscoveryStatus {
  node: string | null;
  /** null: no answer yet. */
  reachable: boolean | null;
  lastError: string | null;
  /** When the current outage began (the discovery clock's ms), or null. */
  since: number | null;
  updates: number;
  errors: number;
  /** Services on the node at the last answer (hidden ones kept included). */
  services: number;
  /** Services kept though Consul's answers hide them from the token. */
  hidden: number;
  /** X-Consul-KnownLeader of the last answer; null: not told. */
  leader: boolean | null;
}

/** The node is not in Consul's answer (null): logged as such, kept apart from network errors. */
export class NotVisible extends Error {}

export function describe(e: unknown): string {
  const err = e as { message?: string; code?: string; statusCode?: number };
  const msg = typeof err?.message === "string" && err.message !== "" ? err.message : String(e);
  const status = typeof err?.statusCode === "number" ? `HTTP ${err.statusCode}: ` : "";
  return `${status}${err?.code && !msg.includes(err.code) ? `${err.code} ` : ""}${msg}`.slice(0, 300);
}

export class Reachability {
  readonly status: DiscoveryStatus = { node: null, reachable: null, lastError: null, since: null, updates: 0, errors: 0, services: 0, hidden: 0, leader: null };
  private logged: string | null = null;
  /** The queries failing now: Consul is reachable only when none is. */
  private readonly failing = new Set<string>();
  private readonly warned = new Set<string>();
  private leaderLostAt: number | null = null;

  constructor(
    private readonly cfg: ConsulConfig,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  reached(what: string): void {
    this.failing.delete(what);
    // One query answering while the other fails (ACLs) is no recovery: no log flapping every retry.
    if (this.failing.size > 0) return;
    const s = this.status;
    if (s.reachable === false) this.log.info("consul_reachable", { after_ms: s.since === null ? null : Math.round(this.now() - s.since), errors: s.errors });
    s.reachable = true;
    s.since = null;
    s.lastError = null;
    this.logged = null;
  }

  /** A query failed; returns true when this starts an outage. */
  failed(e: unknown, what: string, keepingApps: number): boolean {
    const s = this.status;
    const message = describe(e);
    const starts = s.reachable !== false;
    this.failing.add(what);
    s.errors++;
    s.lastError = `${what}: ${message}`;
    if (starts) s.since = this.now();
    s.reachable = false;
    const kind = e instanceof NotVisible ? "not_visible" : typeof (e as { statusCode?: unknown })?.statusCode === "number" ? `http ${(e as { statusCode: number }).statusCode}` : "network";
    if (this.logged === kind) {
      this.log.debug("consul_retry", { query: what, error: message });
      return starts;
    }
    this.logged = kind;
    this.log.error(e instanceof NotVisible ? "consul_not_visible" : "consul_unreachable", {
      query: what,
      error: message,
      keeping_apps: keepingApps,
      retry_ms: this.cfg.interval,
      consul_checks_hold_ms: this.cfg.hold,
    });
    return starts;
  }

  /** What an answer's headers say: ACLs hiding entries, and whether the cluster has a leader. */
  headers(a: Answer<unknown>): void {
    if (a.aclPolicy === "deny" && this.cfg.token === null) {
      this.warnOnce("no_token", "consul_acl_no_token", { hint: "Consul's ACL default policy is deny and no token is set (consul.token or CONSUL_HTTP_TOKEN): its answers will be empty" });
    }
    if (a.filtered) this.warnOnce("filtered", "consul_acl_filtered", { hint: "Consul hid entries this token may not read; services it hides are kept, not withdrawn", token: this.cfg.tokenFrom ?? "none" });
    if (a.knownLeader === null) return;
    this.status.leader = a.knownLeader;
    if (!a.knownLeader && this.leaderLostAt === null) {
      this.leaderLostAt = this.now();
      this.log.warn("consul_no_leader", {
        last_contact_ms: a.lastContactMs,
        hint: this.cfg.stale ? "answers come from a server without a leader (?stale): they may be behind until one is elected" : "reads wait for a leader",
      });
    } else if (a.knownLeader && this.leaderLostAt !== null) {
      this.log.info("consul_leader", { after_ms: Math.round(this.now() - this.leaderLostAt) });
      this.leaderLostAt = null;
    }
  }

  warnOnce(key: string, event: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(event, fields);
  }
}
