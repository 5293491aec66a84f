// The ExaBGP text API with its effects: the pure channel (channel.ts) plus the
// writes to stdout, the timer for overdue answers, the counters, and the log
// lines saying which API ExaBGP was found to take, whether it answers, and
// what it refused.

import type { Logger } from "@exacast/core";
import type { AcksLearnt } from "./acks.js";
import type { ApiSetting, Incoming } from "./channel.js";
import { ExaBgpChannel } from "./channel.js";
import type { Clock } from "@exacast/runtime";

export const ACK_TIMEOUT_MS = 5000;
/** While ExaBGP has answered nothing: past this, it is taken to run with exabgp.api.ack=false (it answers in ms). */
export const FIRST_ACK_TIMEOUT_MS = 1000;

export interface LinkStats {
  commands: number;
  acks: number;
  /** Commands refused (in every form they could take). */
  ackErrors: number;
  ackTimeouts: number;
  /** `error`s that made a command be written again in the other API's form. */
  apiRetries: number;
  /** Commands wait for ExaBGP's answers now (ack, as found). */
  acking: boolean;
}

export interface LinkOptions {
  /** Which API ExaBGP takes (exabgp_api); default auto. */
  readonly api?: ApiSetting;
}

export class ExaBgpLink {
  readonly stats: LinkStats;
  private readonly channel: ExaBgpChannel;
  private ackTimer: unknown = null;
  /** What ExaBGP wrote in `error: …` before its `error`. */
  private errorDetail: string | null = null;
  private apiReported = false;
  private guessReported = false;
  /** Per route, the last command ExaBGP answered `done`. */
  private readonly taken = new Map<string, string>();
  /** Per route, a command ExaBGP refused (until it takes one for that route, or another is sent). */
  private readonly refusedNow = new Map<string, string>();
  /** stdout is closed: nothing can be written. */
  private broken = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly ack: boolean,
    private readonly clock: Clock,
    private readonly write: (lines: readonly string[]) => void,
    private readonly log: Logger,
    private readonly opts: LinkOptions = {},
  ) {
    this.channel = new ExaBgpChannel({ ack, ackTimeout: ACK_TIMEOUT_MS, firstAckTimeout: FIRST_ACK_TIMEOUT_MS, api: opts.api ?? "auto" });
    this.stats = { commands: 0, acks: 0, ackErrors: 0, ackTimeouts: 0, apiRetries: 0, acking: ack };
  }

  /** The API commands are written for now (4 or 6), and whether it is known or still a guess. */
  get api(): { version: 4 | 6; known: boolean } {
    return { version: this.channel.api, known: this.channel.apiKnown !== null };
  }

  /** A line from ExaBGP, classified: what it says about the API, and any `error: …` detail. */
  heard(m: Incoming): void {
    if (m.kind === "error-detail") this.errorDetail = m.message;
    else if (m.kind !== "ack" && m.api !== undefined) this.emit(this.channel.heard(m.api, this.clock.now()));
  }

  /** Nothing queued, nothing waiting for an answer. */
  get idle(): boolean {
    return this.channel.idle;
  }

  /**
   * Whether ExaBGP refused `line`, the last command for route `key`: then it
   * is not counted as sent (a refused repeat of a command ExaBGP took before
   * changes nothing and does not count).
   */
  refused(key: string, line: string): boolean {
    return this.refusedNow.get(key) === line;
  }

  /** Send a command for route `key` (a newer one for the same key replaces one not yet written). */
  send(key: string, line: string): void {
    if (this.refusedNow.get(key) !== line) this.refusedNow.delete(key);
    this.emit(this.channel.send(key, line, this.clock.now()));
  }

  /** `done` (ok) or `error` from ExaBGP. */
  answer(ok: boolean, raw: string): void {
    const r = this.channel.ack(ok, this.clock.now());
    const detail = this.errorDetail;
    this.errorDetail = null;
    const c = r.command;
    if (c) {
      this.stats.acks++;
      if (r.retried) {
        this.stats.apiRetries++;
        this.log.info("exabgp_api_retry", { refused: c.written, api: this.channel.api, ...(detail ? { exabgp_said: detail } : {}) });
      } else if (ok) {
        this.taken.set(c.key, c.line);
        this.refusedNow.delete(c.key);
      } else {
        this.stats.ackErrors++;
        const repeat = this.taken.get(c.key) === c.line;
        this.log.error("command_error", {
          command: c.written,
          ...(detail ? { exabgp_said: detail } : {}),
          kept: repeat ? "the same command, taken before, still holds" : "not counted as sent",
        });
        if (!repeat) this.refusedNow.set(c.key, c.line);
      }
    } else if (r.unattributed) {
      this.stats.acks++;
      if (!ok) {
        this.stats.ackErrors++;
        this.log.error("command_error", { command: "(not known: written without waiting for answers)", ...(detail ? { exabgp_said: detail } : {}) });
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
    for (const line of this.channel.takeMalformed()) this.log.error("command_malformed", { command: line, kept: "not written" });
    for (const a of this.channel.takeAcksLearnt()) this.reportAcks(a);
    this.stats.acking = this.channel.acking;
    if (lines.length > 0 && !this.broken) {
      this.stats.commands += lines.length;
      this.write(lines);
    }
    this.reportApi(lines.length > 0);
    this.armAckTimer();
    this.poke();
  }

  private reportAcks(a: AcksLearnt): void {
    if (!a.acks) {
      this.log.warn("acks_off", {
        waited_ms: a.waitedMs === undefined ? undefined : Math.round(a.waitedMs),
        why: "no answer to the first command: ExaBGP runs with exabgp.api.ack=false (were it only slow, acks_on follows)",
        now: "commands are written without waiting for answers",
        hint: "set ack: false",
      });
    } else {
      this.log[this.ack ? "info" : "warn"]("acks_on", {
        why: "ExaBGP answers every command (exabgp.api.ack=true)",
        now: "each command waits for its answer",
        ...(this.ack ? {} : { hint: "set ack: true" }),
      });
    }
  }

  private reportApi(wrote: boolean): void {
    const known = this.channel.apiKnown;
    if (known && !this.apiReported) {
      this.apiReported = true;
      this.log.info("exabgp_api", { api: known.api, from: known.from });
    } else if (!known && wrote && !this.guessReported && this.stats.acks === 0 && this.channel.waitingForAck === null) {
      // No answers to learn from (ack off) and no event yet: say what is assumed.
      this.guessReported = true;
      this.log.warn("exabgp_api_guessed", {
        api: this.channel.api,
        hint: "ExaBGP's API is learnt from its acks or its neighbor events; with neither, set exabgp_api: 6 for ExaBGP 6's default API",
      });
    }
  }

  private armAckTimer(): void {
    const deadline = this.channel.deadline();
    if (deadline === null || this.ackTimer !== null) return;
    this.ackTimer = this.clock.setTimeout(() => {
      this.ackTimer = null;
      const r = this.channel.expire(this.clock.now());
      // The first command unanswered is no timeout: acks_off says what ExaBGP does (emit).
      if (r.expired && !r.acksOff) {
        this.stats.ackTimeouts++;
        this.log.warn("ack_timeout", { command: r.expired.written, waited_ms: Math.round(this.clock.now() - r.expired.at) });
      }
      this.emit(r.writes);
    }, Math.max(0, deadline - this.clock.now()));
  }
}
