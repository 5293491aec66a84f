// The announcer as what runs beside it sees it (runtime.ts: metrics, the
// HTTP API, Consul): a snapshot to read, the registry of apps, a way to ask
// for a check now, and events to observe. Neither side holds the other's
// internals.

import type { Prefix } from "@exacast/core";
import type { AppCheckResult } from "./checks/index.js";
import type { AppState } from "./fsm.js";
import type { LinkStats } from "./link.js";
import type { SentRoute } from "./planner.js";
import type { AppEntry, AppRegistry } from "./registry.js";

/** Hears what the announcer does (metrics). */
export interface AnnouncerObserver {
  wrote?(lines: readonly string[]): void;
  checked?(entry: AppEntry, result: AppCheckResult): void;
  /** A VIP was announced (true) or withdrawn (false): its command was just queued for ExaBGP. */
  routed?(vip: Prefix, announced: boolean): void;
  /** ExaBGP reported a neighbor's session state. */
  neighbor?(address: string, state: "up" | "down" | "connected"): void;
  /** The app's state changed (its name): the entry holds the new one (hooks). */
  changed?(entry: AppEntry, previous: AppState): void;
}

/** The announcer as of now, for metrics and /status. */
export interface AnnouncerSnapshot {
  /** What ExaBGP was told to announce, in prefix order. */
  readonly announced: readonly SentRoute[];
  readonly draining: boolean;
  readonly stopping: boolean;
  readonly link: Readonly<LinkStats>;
  readonly resends: number;
}

/** What runs beside the announcer may see and do. */
export interface AnnouncerView {
  readonly registry: AppRegistry;
  snapshot(): AnnouncerSnapshot;
  checkNow(name: string): void;
  observe(o: AnnouncerObserver): void;
}
