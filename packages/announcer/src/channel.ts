// The ExaBGP text API from the process's side, as a pure protocol model.
//
// With `ack` (ExaBGP's default) ExaBGP answers every command with `done` or
// `error`; a command is written only after the previous one was answered (or
// its answer timed out). Commands not yet written are kept per route key, so
// a VIP that changes three times while ExaBGP is busy costs one command, not
// three, and the queue never holds more than one command per VIP.
//
// Two API versions take different text: v4 (ExaBGP 4.2, 5.0, and 6 with
// exabgp.api.version=4) `announce route …`, v6 (ExaBGP 6's default) `peer *
// announce route …`. Commands are queued in the v4 form and put in the API's
// form as they are written. With `auto`, which one is learnt from ExaBGP:
//   - what it sends: a text event (`neighbor … up`) exists only in v4, and its
//     JSON says `"exabgp": "6.0.0"` in v6 and "4.0.1"/"5.0.0" in v4;
//   - its answers: `done` confirms the form the command was written in; an
//     `error` while the API is not known yet makes the other form be tried
//     with the same command (v4 first: every ExaBGP but 6's default takes it).
// A command refused in every form it could take is refused: the caller hears
// of it and must not count it as sent. Commands written in the wrong form
// without an answer (no ack) are written again once the API is known.
//
// Whether ExaBGP answers at all is learnt too, beside the API (acks.ts): no
// answer to the first command and commands stop waiting; answers while not
// waiting and they wait again.
//
// Lines from ExaBGP are classified here: acks, `shutdown`, neighbor events
// (text or JSON encoder), and everything else, which is never taken for an ack.

import type { ApiVersion } from "@exacast/core";
import { inApi, parseLine } from "@exacast/core";
import type { AcksLearnt } from "./acks.js";
import { AckDetector } from "./acks.js";

export type ApiSetting = "auto" | ApiVersion;

export type Incoming =
  | { readonly kind: "ack"; readonly ok: boolean }
  | { readonly kind: "shutdown"; readonly api?: ApiVersion }
  | { readonly kind: "neighbor"; readonly address: string; readonly state: "up" | "down" | "connected"; readonly api?: ApiVersion }
  /** `error: <why>`, which ExaBGP may write before the `error` it answers. */
  | { readonly kind: "error-detail"; readonly message: string }
  | { readonly kind: "other"; readonly api?: ApiVersion };

// `neighbor <ip> up`, `neighbor <ip> connected`, `neighbor <ip> down - <reason>`.
const TEXT_NEIGHBOR = /^neighbor (\S+) (up|connected|down(?= - |$))(?: - .*)?$/;
// ExaBGP writes its JSON with the format version first: 6.x is API v6, older formats API v4.
const JSON_VERSION = /^\{\s*"exabgp"\s*:\s*"(\d+)\./;

export function classifyLine(raw: string): Incoming {
  const line = raw.trim();
  if (line === "done") return { kind: "ack", ok: true };
  if (line === "error") return { kind: "ack", ok: false };
  if (line.startsWith("error: ")) return { kind: "error-detail", message: line.slice(7, 507) };
  // The answer during shutdown: `shutdown`; ExaBGP's text encoder (v4 only): `shutdown <pid> <ppid>`.
  if (line === "shutdown") return { kind: "shutdown" };
  if (/^shutdown \d+ \d+$/.test(line)) return { kind: "shutdown", api: 4 };
  const m = TEXT_NEIGHBOR.exec(line);
  if (m && (m[2] === "down" || !line.includes(" - "))) {
    return { kind: "neighbor", address: m[1]!, state: m[2] as "up" | "connected" | "down", api: 4 };
  }
  if (line.startsWith("{")) {
    const r = parseLine(line);
    if (r.ok) {
      const v = JSON_VERSION.exec(line);
      const api: ApiVersion | undefined = v ? (Number(v[1]) >= 6 ? 6 : 4) : undefined;
      const hint = api === undefined ? {} : { api };
      for (const e of r.value) {
        if (e.kind === "shutdown") return { kind: "shutdown", ...hint };
        if (e.kind === "state") return { kind: "neighbor", address: e.neighbor, state: e.state, ...hint };
      }
      return { kind: "other", ...hint };
    }
  }
  return { kind: "other" };
}

export interface InFlight {
  readonly key: string;
  /** The command in the v4 form, as queued. */
  readonly line: string;
  /** What was written: `line` in the form of `api`. */
  readonly written: string;
  readonly api: ApiVersion;
  readonly at: number;
  /** The forms already refused for this command. */
  readonly refusedIn: readonly ApiVersion[];
}

export interface ChannelOptions {
  readonly ack: boolean;
  /** How long to wait for `done`/`error` before writing the next command. */
  readonly ackTimeout: number;
  /** The same while ExaBGP has answered nothing yet: past it, acks are taken as off (default ackTimeout). */
  readonly firstAckTimeout?: number;
  /** Which API ExaBGP takes; `auto` (default) finds out. */
  readonly api?: ApiSetting;
}

/** The API became known (or changed while unknown): what told. */
export interface ApiLearnt {
  readonly api: ApiVersion;
  readonly from: "config" | "events" | "done" | "error";
}

export interface AckResult {
  readonly command: InFlight | null;
  readonly ok: boolean;
  /** `error` on a command that is written again in the other form: not a refusal. */
  readonly retried: boolean;
  /** An answer to one of the commands written without waiting (which one is not known). */
  readonly unattributed?: boolean;
  readonly writes: string[];
}

export class ExaBgpChannel {
  private readonly queue = new Map<string, string>();
  private inFlight: InFlight | null = null;
  private ackMode: boolean;
  private apiNow: ApiVersion;
  private known: ApiLearnt | null;
  /** While the API is not known: lines written and not confirmed, by key (written again if the form was wrong). */
  private readonly unconfirmed = new Map<string, { line: string; api: ApiVersion }>();
  /** The forms refused so far, for a command queued again after an `error`. */
  private readonly retries = new Map<string, ApiVersion[]>();
  private readonly malformed: string[] = [];
  private readonly acks: AckDetector;

  constructor(private readonly opts: ChannelOptions) {
    this.ackMode = opts.ack;
    this.acks = new AckDetector({ first: opts.firstAckTimeout ?? opts.ackTimeout, usual: opts.ackTimeout });
    const api = opts.api ?? "auto";
    this.apiNow = api === "auto" ? 4 : api;
    this.known = api === "auto" ? null : { api, from: "config" };
  }

  /** The form commands are written in now. */
  get api(): ApiVersion {
    return this.apiNow;
  }

  /** How the API became known, or null while it is still a guess (auto, nothing heard yet). */
  get apiKnown(): ApiLearnt | null {
    return this.known;
  }

  /** Commands wait for their answers (ack: true, and ExaBGP found to answer). */
  get acking(): boolean {
    return this.ackMode;
  }

  /** What was learnt about ExaBGP's acks since the last call. */
  takeAcksLearnt(): AcksLearnt[] {
    return this.acks.take();
  }

  get waitingForAck(): InFlight | null {
    return this.inFlight;
  }

  /** Nothing queued and nothing waiting for its answer. */
  get idle(): boolean {
    return this.queue.size === 0 && this.inFlight === null;
  }

  /** Queue a command (v4 form) for route `key`; returns the lines to write now. */
  send(key: string, line: string, now: number): string[] {
    this.queue.set(key, line);
    this.retries.delete(key);
    return this.pump(now);
  }

  /** `done` (ok) or `error` arrived: the command it answers, and what to write next. */
  ack(ok: boolean, now: number): AckResult {
    if (!this.ackMode) {
      if (this.acks.answer(false)) this.ackMode = true;
      return { command: null, ok, retried: false, unattributed: true, writes: this.pump(now) };
    }
    this.acks.answer(true);
    const command = this.inFlight;
    this.inFlight = null;
    if (!command) return { command, ok, retried: false, writes: this.pump(now) };
    if (ok) {
      this.unconfirmed.delete(command.key);
      if (!this.known) this.learn(command.api, "done");
      return { command, ok, retried: false, writes: this.pump(now) };
    }
    const refusedIn = [...command.refusedIn, command.api];
    const other: ApiVersion = command.api === 4 ? 6 : 4;
    // Written in a form since found wrong, or the form is still a guess: try the other.
    const retry = this.known ? this.apiNow !== command.api && !refusedIn.includes(this.apiNow) : !refusedIn.includes(other);
    if (retry) {
      if (!this.known) this.apiNow = other;
      if (!this.queue.has(command.key)) this.requeueFirst(command.key, command.line, refusedIn);
      return { command, ok, retried: true, writes: this.pump(now) };
    }
    this.unconfirmed.delete(command.key);
    return { command, ok, retried: false, writes: this.pump(now) };
  }

  /**
   * ExaBGP's own lines said which API it runs (a text event: v4; its JSON's
   * format version). Decisive while the API is not known; what was written in
   * the other form without an answer is written again.
   */
  heard(api: ApiVersion, now: number): string[] {
    if (this.known) return [];
    if (api !== this.apiNow) {
      for (const [key, u] of this.unconfirmed) {
        if (u.api !== api && !this.queue.has(key) && this.inFlight?.key !== key) this.queue.set(key, u.line);
      }
    }
    this.learn(api, "events");
    return this.pump(now);
  }

  /** Commands the grammar refused at the last writes (never expected: they come from the builder). */
  takeMalformed(): string[] {
    return this.malformed.splice(0);
  }

  /** When the command in flight stops waiting (clock ms), or null. */
  deadline(): number | null {
    return this.inFlight ? this.inFlight.at + this.acks.timeout() : null;
  }

  /** If the answer is overdue, give up on it and write the next command. */
  expire(now: number): { expired: InFlight | null; acksOff: boolean; writes: string[] } {
    const d = this.deadline();
    if (d === null || now < d || !this.inFlight) return { expired: null, acksOff: false, writes: [] };
    const expired = this.inFlight;
    this.inFlight = null;
    // The first command unanswered: ExaBGP does not answer (exabgp.api.ack=false).
    const acksOff = this.acks.overdue(now - expired.at);
    if (acksOff) this.ackMode = false;
    return { expired, acksOff, writes: this.pump(now) };
  }

  /** Stop waiting for answers (ExaBGP is going away): everything queued, at once. */
  abandonAcks(): string[] {
    this.ackMode = false;
    this.acks.stop();
    this.inFlight = null;
    return this.pump(0);
  }

  private learn(api: ApiVersion, from: ApiLearnt["from"]): void {
    this.apiNow = api;
    this.known = { api, from };
    this.unconfirmed.clear();
  }

  private requeueFirst(key: string, line: string, refusedIn: ApiVersion[]): void {
    const rest = [...this.queue];
    this.queue.clear();
    this.queue.set(key, line);
    for (const [k, l] of rest) this.queue.set(k, l);
    this.retries.set(key, refusedIn);
  }

  /** The next queued command in the form of the API, or null when it has none (refused by its builder). */
  private take(now: number): InFlight | null {
    for (;;) {
      const first = this.queue.entries().next();
      if (first.done) return null;
      const [key, line] = first.value;
      this.queue.delete(key);
      const refusedIn = this.retries.get(key) ?? [];
      this.retries.delete(key);
      const r = inApi(line, this.apiNow);
      if (!r.ok) {
        this.malformed.push(line);
        continue;
      }
      if (!this.known) this.unconfirmed.set(key, { line, api: this.apiNow });
      return { key, line, written: r.value, api: this.apiNow, at: now, refusedIn };
    }
  }

  private pump(now: number): string[] {
    if (!this.ackMode) {
      const lines: string[] = [];
      for (let c = this.take(now); c; c = this.take(now)) lines.push(c.written);
      this.acks.wrote(lines.length);
      return lines;
    }
    if (this.inFlight) return [];
    this.inFlight = this.take(now);
    return this.inFlight ? [this.inFlight.written] : [];
  }
}
