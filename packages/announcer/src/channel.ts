// The ExaBGP text API from the process's side, as a pure protocol model.
//
// With `ack` (ExaBGP 4.x's default) ExaBGP answers every command with `done`
// or `error`; a command is written only after the previous one was answered
// (or its answer timed out). Commands not yet written are kept per route key,
// so a VIP that changes three times while ExaBGP is busy costs one command,
// not three, and the queue never holds more than one command per VIP.
//
// Lines from ExaBGP are classified here: acks, `shutdown`, neighbor events
// (text or JSON encoder), and everything else, which is never taken for an ack.

import { parseLine } from "@exacast/core";

export type Incoming =
  | { readonly kind: "ack"; readonly ok: boolean }
  | { readonly kind: "shutdown" }
  | { readonly kind: "neighbor"; readonly address: string; readonly state: "up" | "down" | "connected" }
  | { readonly kind: "other" };

// `neighbor <ip> up`, `neighbor <ip> connected`, `neighbor <ip> down - <reason>`.
const TEXT_NEIGHBOR = /^neighbor (\S+) (up|connected|down(?= - |$))(?: - .*)?$/;

export function classifyLine(raw: string): Incoming {
  const line = raw.trim();
  if (line === "done") return { kind: "ack", ok: true };
  if (line === "error") return { kind: "ack", ok: false };
  // ExaBGP's text encoder: `shutdown <pid> <ppid>`; its answer during shutdown: `shutdown`.
  if (line === "shutdown" || /^shutdown \d+ \d+$/.test(line)) return { kind: "shutdown" };
  const m = TEXT_NEIGHBOR.exec(line);
  if (m && (m[2] === "down" || !line.includes(" - "))) {
    return { kind: "neighbor", address: m[1]!, state: m[2] as "up" | "connected" | "down" };
  }
  if (line.startsWith("{")) {
    const r = parseLine(line);
    if (r.ok) {
      for (const e of r.value) {
        if (e.kind === "shutdown") return { kind: "shutdown" };
        if (e.kind === "state") return { kind: "neighbor", address: e.neighbor, state: e.state };
      }
    }
  }
  return { kind: "other" };
}

export interface InFlight {
  readonly key: string;
  readonly line: string;
  readonly at: number;
}

export interface ChannelOptions {
  readonly ack: boolean;
  /** How long to wait for `done`/`error` before writing the next command. */
  readonly ackTimeout: number;
}

export class ExaBgpChannel {
  private readonly queue = new Map<string, string>();
  private inFlight: InFlight | null = null;
  private ackMode: boolean;

  constructor(private readonly opts: ChannelOptions) {
    this.ackMode = opts.ack;
  }

  get waitingForAck(): InFlight | null {
    return this.inFlight;
  }

  /** Nothing queued and nothing waiting for its answer. */
  get idle(): boolean {
    return this.queue.size === 0 && this.inFlight === null;
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Queue a command for route `key`; returns the lines to write now. */
  send(key: string, line: string, now: number): string[] {
    this.queue.set(key, line);
    return this.pump(now);
  }

  /** `done` (ok) or `error` arrived: the command it answers, and what to write next. */
  ack(ok: boolean, now: number): { command: InFlight | null; ok: boolean; writes: string[] } {
    const command = this.inFlight;
    this.inFlight = null;
    return { command, ok, writes: this.pump(now) };
  }

  /** When the command in flight stops waiting (clock ms), or null. */
  deadline(): number | null {
    return this.inFlight ? this.inFlight.at + this.opts.ackTimeout : null;
  }

  /** If the answer is overdue, give up on it and write the next command. */
  expire(now: number): { expired: InFlight | null; writes: string[] } {
    const d = this.deadline();
    if (d === null || now < d) return { expired: null, writes: [] };
    const expired = this.inFlight;
    this.inFlight = null;
    return { expired, writes: this.pump(now) };
  }

  /** Stop waiting for answers (ExaBGP is going away): everything queued, at once. */
  abandonAcks(): string[] {
    this.ackMode = false;
    this.inFlight = null;
    return this.pump(0);
  }

  private pump(now: number): string[] {
    if (this.queue.size === 0) return [];
    if (!this.ackMode) {
      const lines = [...this.queue.values()];
      this.queue.clear();
      return lines;
    }
    if (this.inFlight) return [];
    const [key, line] = this.queue.entries().next().value as [string, string];
    this.queue.delete(key);
    this.inFlight = { key, line, at: now };
    return [line];
  }
}
