// The route refreshes on their way to ExaBGP and back. One command is written
// at a time and ExaBGP's answer (`done`; `error` when no established neighbor
// matches) tied to it; with no answer within ACK_WAIT_MS answers are taken to
// be off (exabgp.api.ack=false) and the rest go at once. A refresh ExaBGP took
// is complete at the neighbor's End-of-Route-Refresh (enhanced route refresh,
// RFC 7313), else once ExaBGP was quiet for QUIET_MS (a plain refresh has no
// end marker), at most REFRESH_TIMEOUT_MS. What the refresh was for is the
// owner's business (relearn.ts): it hears when each one is over.

import type { ApiSyntax, Logger, RefreshFamily } from "@exacast/core";
import { buildRouteRefresh, parseAddress } from "@exacast/core";
import type { Clock, TimerHandle } from "@exacast/runtime";

export const ACK_WAIT_MS = 2000;
export const QUIET_MS = 1000;
export const REFRESH_TIMEOUT_MS = 60_000;

/** Why a neighbor is asked (`max_routes` never holds renders: the table is not known to be partial). */
export type RefreshReason = "restart" | "unknown_neighbor" | "max_routes";

export interface RefreshRequest {
  readonly target: string; // a neighbor, or "*"
  readonly family: RefreshFamily;
  readonly reason: RefreshReason;
  state: "queued" | "sent" | "waiting";
  at: number;
  /** ExaBGP answered `done`: established neighbors were asked. */
  acked?: boolean;
}

export interface QueueOwner {
  /** Whether `neighbor` sends End-of-Route-Refresh markers. */
  enhanced(neighbor: string): boolean;
  /** A request is over: `answered` (ExaBGP took it, and it is complete), or not sent. */
  finished(r: RefreshRequest, answered: boolean): void;
  /** After each pass: a request came, went or changed. */
  changed(): void;
}

export class RefreshQueue {
  api: ApiSyntax = 4;
  requests: RefreshRequest[] = [];
  private acksOff = false;
  private lastLine = 0;
  private timer: TimerHandle;
  private pumping = false;
  private again = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Undefined: no way to write to ExaBGP (tests): nothing is asked. */
    private readonly send: ((line: string) => void) | undefined,
    private readonly owner: QueueOwner,
  ) {}

  add(target: string, family: RefreshFamily, reason: RefreshReason): void {
    if (this.requests.some((r) => r.target === target && r.family === family)) return;
    this.requests.push({ target, family, reason, state: "queued", at: 0 });
    this.pump();
  }

  /** Forget `target`'s requests but a command already written (its answer is still to come). */
  cancel(target: string): boolean {
    const before = this.requests.length;
    this.requests = this.requests.filter((r) => r.target !== target || r.reason === "max_routes" || r.state === "sent");
    return before !== this.requests.length;
  }

  /** A line came from ExaBGP: a plain refresh is complete once they stop. */
  line(now: number): void {
    this.lastLine = now;
  }

  ack(answer: "done" | "error" | "shutdown"): void {
    const r = this.requests.find((x) => x.state === "sent");
    if (r === undefined) return;
    if (answer === "done") Object.assign(r, { state: "waiting", at: this.clock.now(), acked: true });
    else {
      this.log.info("refresh_not_sent", { neighbor: r.target, family: r.family, why: r.target === "*" ? "no established neighbor" : "neighbor not established (or family not configured)" });
      this.drop(r, false);
    }
    this.pump();
  }

  /** An End-of-Route-Refresh from `neighbor`: that family's refresh is complete. */
  endOfRefresh(neighbor: string, family: string): void {
    const r = this.requests.find((x) => x.target === neighbor && x.family === family && x.state === "waiting");
    if (r) this.drop(r, true);
    this.pump();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Complete what went quiet, send what is queued, arm the next check; the owner's hooks may add more (after this pass). */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.step(this.clock.now());
      } while (this.again);
    } finally {
      this.pumping = false;
    }
    this.arm();
    this.owner.changed();
  }

  private step(now: number): void {
    for (const r of this.requests.filter((x) => x.state === "waiting")) {
      if (now - r.at >= REFRESH_TIMEOUT_MS) {
        this.log.warn("refresh_timeout", { neighbor: r.target, family: r.family, waited_ms: now - r.at, note: "taken as complete" });
        this.drop(r, true);
      } else if (!(r.target !== "*" && this.owner.enhanced(r.target)) && now - Math.max(r.at, this.lastLine) >= QUIET_MS) this.drop(r, true);
    }
    const inFlight = this.requests.find((x) => x.state === "sent");
    if (inFlight && !this.acksOff && now - inFlight.at >= ACK_WAIT_MS) {
      this.acksOff = true;
      this.log.warn("refresh_unanswered", { waited_ms: ACK_WAIT_MS, note: "ExaBGP does not answer commands (exabgp.api.ack=false?): the others go at once" });
    }
    if (this.acksOff) for (const r of this.requests) if (r.state === "sent") r.state = "waiting";
    for (let next = this.nextToSend(); next; next = this.nextToSend()) {
      this.write(next, now);
      if (this.acksOff && next.state === "sent") next.state = "waiting";
    }
  }

  private nextToSend(): RefreshRequest | undefined {
    return this.requests.some((x) => x.state === "sent") ? undefined : this.requests.find((x) => x.state === "queued");
  }

  private write(r: RefreshRequest, now: number): void {
    Object.assign(r, { state: "sent", at: now });
    const address = r.target === "*" ? undefined : parseAddress(r.target);
    const line = address && !address.ok ? address : buildRouteRefresh(r.family, { api: this.api, ...(address?.ok ? { neighbor: address.value } : {}) });
    if (this.send === undefined) return this.drop(r, false);
    if (!line.ok) {
      this.log.error("refresh_not_sent", { neighbor: r.target, family: r.family, error: line.error });
      return this.drop(r, false);
    }
    this.log.info("refresh_asked", { neighbor: r.target, family: r.family, reason: r.reason });
    this.send(line.value);
  }

  private arm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.requests.map((r) =>
      r.state === "sent" ? r.at + ACK_WAIT_MS : r.state === "waiting" ? Math.min(r.at + REFRESH_TIMEOUT_MS, Math.max(r.at, this.lastLine) + QUIET_MS) : Infinity,
    );
    const first = Math.min(...due);
    if (first === Infinity) return;
    // A plain refresh's quiet point moves with every line: check then, and again.
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(first - this.clock.now(), 10));
  }

  private drop(r: RefreshRequest, answered: boolean): void {
    this.requests = this.requests.filter((x) => x !== r);
    this.owner.finished(r, answered);
  }
}
