// One line from ExaBGP → RIB changes. Pure apart from the hooks it calls, which
// the shell uses to log, arm stale timers and schedule renders.

import type { ExaEvent } from "@exacast/core";
import { parseLine, parseMessage } from "@exacast/core";
import { Prefilter } from "./prefilter.js";
import type { AnnounceResult, Rib } from "./rib.js";

/** Each distinct part not understood is reported once; after this many, no more (they are counted). */
const UNREAD_KEYS = 256;

export type RejectReason = "too_long" | "not_json" | "not_exabgp";

export interface IngestHooks {
  rejected?(lineNo: number, reason: RejectReason, error: string): void;
  state?(neighbor: string, state: string, reason: string | undefined): void;
  /**
   * Stale period `period` started for `neighbor`: arm its timer. `stopping`:
   * the session went down because ExaBGP itself is shutting down.
   */
  staleStarted?(neighbor: string, stopping: boolean, period: number): void;
  /** max_routes is reached: a new route was not held. */
  refused?(neighbor: string, prefix: string): void;
  eor?(neighbor: string, family: string): void;
  notification?(neighbor: string, code: number, subcode: number, data: string): void;
  shutdown?(): void;
  /** A part of a message was not understood (left out, the rest kept): once per path and reason. */
  unread?(path: string, reason: string): void;
  /** A message of a type (or direction) exacast does not use: once per type and reason. */
  ignored?(type: string, reason: string): void;
}

export interface IngestStats {
  lines: number;
  /** Lines the prefilter showed cannot change the RIB: not parsed. */
  skipped: number;
  rejected: Record<RejectReason, number>;
  refused: number;
}

export interface IngestOptions {
  staleGraceMs: number;
  /** Milliseconds, for withdrawals a session loss follows (stale_grace); default performance.now. */
  now?: () => number;
  /** Parse every line (the `render` subcommand, and tests comparing against it). */
  parseAll?: boolean;
}

export class Ingest {
  readonly stats: IngestStats = { lines: 0, skipped: 0, rejected: { too_long: 0, not_json: 0, not_exabgp: 0 }, refused: 0 };
  /** Parts of messages not understood, and messages not used (each reported once). */
  readonly notes = { unread: 0, ignored: 0 };
  private readonly prefilter: Prefilter;
  private readonly reported = new Set<string>();
  /** ExaBGP said it is shutting down: every session it closes from now on (until one comes up) is its own doing. */
  private exabgpStopping = false;

  constructor(
    private readonly rib: Rib,
    private readonly opts: IngestOptions,
    private readonly hooks: IngestHooks = {},
  ) {
    this.prefilter = new Prefilter(rib.communityAsn, rib);
  }

  private now(): number {
    return this.opts.now?.() ?? performance.now();
  }

  setStaleGrace(ms: number): void {
    this.opts.staleGraceMs = ms;
  }

  line(text: string, lineNo: number): void {
    this.stats.lines++;
    if (!this.opts.parseAll && !this.prefilter.mayMatter(text)) {
      this.stats.skipped++;
      return;
    }
    this.events(parseLine(text), lineNo);
  }

  /** A message already read as JSON (the `render` subcommand reads captures with ndjson). */
  message(value: unknown, lineNo: number): void {
    this.stats.lines++;
    this.events(parseMessage(value), lineNo);
  }

  private events(r: ReturnType<typeof parseLine>, lineNo: number): void {
    if (!r.ok) {
      const reason: RejectReason = r.error.startsWith("line too long")
        ? "too_long"
        : r.error.startsWith("not JSON")
          ? "not_json"
          : "not_exabgp";
      this.reject(lineNo, reason, r.error);
      return;
    }
    for (const ev of r.value) this.apply(ev);
  }

  /** A line the splitter refused before it was complete (over 1 MB). */
  oversize(lineNo: number, length: number): void {
    this.stats.lines++;
    this.reject(lineNo, "too_long", `line too long (${length} characters)`);
  }

  private reject(lineNo: number, reason: RejectReason, error: string): void {
    this.stats.rejected[reason]++;
    this.hooks.rejected?.(lineNo, reason, error);
  }

  private apply(ev: ExaEvent): void {
    switch (ev.kind) {
      case "announce": {
        const r: AnnounceResult = this.rib.announce(ev.neighbor, ev.prefix, ev.pathId, ev.nexthop, ev.attrs);
        if (r === "refused") {
          this.stats.refused++;
          this.hooks.refused?.(ev.neighbor, ev.prefix.text);
        }
        return;
      }
      case "withdraw":
        this.rib.withdraw(ev.neighbor, ev.prefix, ev.pathId, this.opts.staleGraceMs > 0 ? this.now() : undefined);
        return;
      case "state":
        if (ev.state === "down") {
          // When ExaBGP stops, the files keep the routes they were rendered with
          // (as consul-template keeps its last render when Consul goes away)
          // instead of being emptied just before the listener exits. ExaBGP
          // says so by the reason of each down (its wording per version: core's
          // isExabgpStopping), or by `shutdown` before them.
          const stopping = ev.stopping === true || this.exabgpStopping;
          const period = this.rib.sessionDown(ev.neighbor, stopping || this.opts.staleGraceMs > 0, this.now());
          if (period > 0) this.hooks.staleStarted?.(ev.neighbor, stopping, period);
        } else {
          // A session coming up: whatever `shutdown` said, this ExaBGP runs.
          this.exabgpStopping = false;
          this.rib.setState(ev.neighbor, ev.state);
        }
        this.hooks.state?.(ev.neighbor, ev.state, ev.reason);
        return;
      case "eor":
        this.hooks.eor?.(ev.neighbor, ev.family);
        return;
      case "notification":
        this.hooks.notification?.(ev.neighbor, ev.code, ev.subcode, ev.data);
        return;
      case "shutdown":
        this.exabgpStopping = true;
        this.hooks.shutdown?.();
        return;
      case "unread":
        this.notes.unread++;
        if (this.firstTime(`unread ${ev.path} ${ev.reason}`)) this.hooks.unread?.(ev.path, ev.reason);
        return;
      case "ignored":
        this.notes.ignored++;
        if (this.firstTime(`ignored ${ev.type} ${ev.reason}`)) this.hooks.ignored?.(ev.type, ev.reason);
        return;
    }
  }

  private firstTime(key: string): boolean {
    if (this.reported.has(key) || this.reported.size >= UNREAD_KEYS) return false;
    this.reported.add(key);
    return true;
  }
}
