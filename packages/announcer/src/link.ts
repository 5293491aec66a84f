// The ExaBGP text API with its effects: the pure channel (channel.ts) plus the
// writes to stdout, the timer for overdue answers, and the counters.

import type { Logger } from "@exacast/core";
import { ExaBgpChannel } from "./channel.js";
import type { Clock } from "@exacast/runtime";

export const ACK_TIMEOUT_MS = 5000;

export interface LinkStats {
  commands: number;
  acks: number;
  ackErrors: number;
  ackTimeouts: number;
}

export class ExaBgpLink {
  readonly stats: LinkStats = { commands: 0, acks: 0, ackErrors: 0, ackTimeouts: 0 };
  private readonly channel: ExaBgpChannel;
  private ackTimer: unknown = null;
  /** stdout is closed: nothing can be written. */
  private broken = false;
  private wake: (() => void) | null = null;

  constructor(
    ack: boolean,
    private readonly clock: Clock,
    private readonly write: (lines: readonly string[]) => void,
    private readonly log: Logger,
  ) {
    this.channel = new ExaBgpChannel({ ack, ackTimeout: ACK_TIMEOUT_MS });
  }

  /** Nothing queued, nothing waiting for an answer. */
  get idle(): boolean {
    return this.channel.idle;
  }

  /** Send a command for route `key` (a newer one for the same key replaces one not yet written). */
  send(key: string, line: string): void {
    this.emit(this.channel.send(key, line, this.clock.now()));
  }

  /** `done` (ok) or `error` from ExaBGP. */
  answer(ok: boolean, raw: string): void {
    const r = this.channel.ack(ok, this.clock.now());
    if (r.command) {
      this.stats.acks++;
      if (!ok) {
        this.stats.ackErrors++;
        this.log.error("command_error", { command: r.command.line });
      }
    } else this.log.debug("ack_unexpected", { ack: raw });
    this.emit(r.writes);
  }

  /** ExaBGP will not answer any more: write what waits, at once, from now on. */
  stopWaitingForAnswers(): void {
    this.emit(this.channel.abandonAcks());
  }

  /** stdout is gone: drop everything from now on. */
  outputClosed(): void {
    this.broken = true;
    this.poke();
  }

  /** Something a pause() may be waiting for changed. */
  poke(): void {
    this.wake?.();
  }

  /** Wait `ms`, or until `until()` holds (checked whenever something was sent, answered or poked). */
  pause(ms: number, until: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      if (until()) return resolve();
      const done = () => {
        this.clock.clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = this.clock.setTimeout(done, ms);
      this.wake = () => {
        if (until()) done();
      };
    });
  }

  private emit(lines: readonly string[]): void {
    if (lines.length > 0 && !this.broken) {
      this.stats.commands += lines.length;
      this.write(lines);
    }
    this.armAckTimer();
    this.poke();
  }

  private armAckTimer(): void {
    const deadline = this.channel.deadline();
    if (deadline === null || this.ackTimer !== null) return;
    this.ackTimer = this.clock.setTimeout(() => {
      this.ackTimer = null;
      const r = this.channel.expire(this.clock.now());
      if (r.expired) {
        this.stats.ackTimeouts++;
        this.log.warn("ack_timeout", {
          command: r.expired.line,
          waited_ms: ACK_TIMEOUT_MS,
          ...(this.stats.acks === 0 ? { hint: "no answer has come yet: with exabgp.api.ack = false, set ack: false" } : {}),
        });
      }
      this.emit(r.writes);
    }, Math.max(0, deadline - this.clock.now()));
  }
}
