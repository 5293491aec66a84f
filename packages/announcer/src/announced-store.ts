// announced_file: the VIPs ExaBGP may hold from this announcer (the ledger's
// routes), on disk so the process ExaBGP starts after this one dies knows what
// to take back. Replaced atomically (temporary file, fsync, rename); saves
// asked for while one is written coalesce into one more. A file that cannot be
// read as ours is moved aside and logged; every entry is validated again as it
// is read (only validated values reach ExaBGP's stdin). A write that fails is
// logged and the announcer goes on announcing: availability before bookkeeping.

import type { IpAddress, Logger, NextHop, RouteSpec } from "@exacast/core";
import { parseAddress, parsePrefix } from "@exacast/core";
import type { Clock, FileStore } from "@exacast/runtime";
import { LogThrottle, causeOf, diskFiles, setAside } from "@exacast/runtime";
import type { LedgerStore } from "./announced-ledger.js";

const VERSION = 1;

interface Entry {
  vip: string;
  next_hop: string;
  path_id?: number;
  /** Announced to these ExaBGP neighbors only (absent: every one). */
  neighbors?: string[];
}

export interface AnnouncedStoreDeps {
  readonly log: Logger;
  readonly clock: Clock;
  readonly files?: FileStore;
  /** Move an unreadable file out of the way; its new name. */
  readonly setAside?: (path: string, why: string) => Promise<string>;
}

/** One saved entry back to a route, or why not. */
export function routeOfEntry(e: unknown): RouteSpec | string {
  if (typeof e !== "object" || e === null) return "not an object";
  const { vip, next_hop: nh, path_id: pathId, neighbors: nbs } = e as Record<string, unknown>;
  const prefix = typeof vip === "string" ? parsePrefix(vip) : null;
  if (!prefix?.ok) return `vip: ${prefix ? prefix.error : "expected a prefix"}`;
  let nextHop: NextHop;
  if (nh === "self") nextHop = "self";
  else {
    const a = typeof nh === "string" ? parseAddress(nh) : null;
    if (!a?.ok) return `next_hop: ${a ? a.error : "expected self or an address"}`;
    nextHop = a.value;
  }
  if (pathId !== undefined && (typeof pathId !== "number" || !Number.isInteger(pathId) || pathId < 0 || pathId > 0xffffffff)) return "path_id: expected a 32-bit integer";
  const neighbors: IpAddress[] = [];
  if (nbs !== undefined) {
    if (!Array.isArray(nbs) || nbs.length > 64) return "neighbors: expected at most 64 addresses";
    for (const n of nbs) {
      const a = typeof n === "string" ? parseAddress(n) : null;
      if (!a?.ok) return `neighbors: ${a ? a.error : "expected an address"}`;
      neighbors.push(a.value);
    }
  }
  return { prefix: prefix.value, nextHop, ...(pathId !== undefined ? { pathId } : {}), ...(neighbors.length ? { neighbors } : {}) };
}

export function entryOf(r: RouteSpec): Entry {
  return {
    vip: r.prefix.text,
    next_hop: r.nextHop === "self" ? "self" : r.nextHop.text,
    ...(r.pathId !== undefined && r.pathId !== null ? { path_id: r.pathId } : {}),
    ...(r.neighbors?.length ? { neighbors: r.neighbors.map((n) => n.text) } : {}),
  };
}

export class AnnouncedStore implements LedgerStore {
  /** Keys of the routes the file holds (as last written, or as read). */
  private durable = new Set<string>();
  /** The last write failed: nothing waits for the disk. */
  private degraded = false;
  private frozen = false;
  private pending: { text: string; keys: Set<string> } | null = null;
  private lastText: string | null = null;
  private waiters: (() => void)[] = [];
  private writing: Promise<void> | null = null;
  private readonly files: FileStore;
  private readonly failures: LogThrottle;

  constructor(
    readonly path: string,
    private readonly deps: AnnouncedStoreDeps,
  ) {
    this.files = deps.files ?? diskFiles;
    this.failures = new LogThrottle(deps.log, deps.clock);
  }

  /** The routes the previous process left ([] when there is no file). */
  async load(): Promise<RouteSpec[]> {
    const log = this.deps.log;
    let text: string | undefined;
    try {
      text = await this.files.readIfExists(this.path);
    } catch (e) {
      log.error("announced_file_unreadable", { file: this.path, error: (e as Error).message });
      return [];
    }
    if (text === undefined) return [];
    let entries: unknown[];
    try {
      const doc = JSON.parse(text) as { version?: unknown; routes?: unknown };
      if (doc?.version !== VERSION || !Array.isArray(doc.routes)) throw new Error(`expected {"version": ${VERSION}, "routes": [...]}`);
      entries = doc.routes as unknown[];
    } catch (e) {
      const aside = await (this.deps.setAside ?? setAside)(this.path, "invalid").catch(() => null);
      log.error("announced_file_invalid", { file: this.path, error: (e as Error).message, moved_to: aside ?? "(could not be moved; the next save replaces it)" });
      return [];
    }
    const routes: RouteSpec[] = [];
    entries.forEach((e, i) => {
      const r = routeOfEntry(e);
      if (typeof r === "string") log.error("announced_file_entry_skipped", { file: this.path, entry: i, problem: r });
      else routes.push(r);
    });
    this.durable = new Set(routes.map((r) => r.prefix.text));
    this.lastText = text;
    return routes;
  }

  covers(key: string): boolean {
    return this.degraded || this.durable.has(key);
  }

  save(routes: ReadonlyMap<string, RouteSpec>): Promise<void> {
    if (this.frozen) return Promise.resolve();
    const sorted = [...routes.values()].map(entryOf).sort((a, b) => (a.vip < b.vip ? -1 : a.vip > b.vip ? 1 : 0));
    const text = JSON.stringify({ version: VERSION, routes: sorted }, null, 1) + "\n";
    // Nothing new to write (a re-announce with other communities): done once what is queued is.
    if (text === (this.pending?.text ?? this.lastText)) return this.writing ? this.flushed() : Promise.resolve();
    this.pending = { text, keys: new Set(routes.keys()) };
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.writing ??= this.drain();
    return done;
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Resolves once everything asked for is on disk (or failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      const { text, keys } = this.pending;
      this.pending = null;
      const waiters = this.waiters;
      this.waiters = [];
      const r = await this.files.replaceFile(this.path, text, { mode: 0o644 });
      if (r.ok) {
        this.durable = keys;
        this.lastText = text;
        this.degraded = false;
        this.failures.succeeded("announced_file_recovered", { file: this.path });
      } else {
        // Announcements go on; a restart may then leave a VIP announced unchecked.
        this.degraded = true;
        this.failures.failed("announced_file_not_written", causeOf("write", r.error), { file: this.path, error: r.error, risk: "a restarted announcer may not withdraw what this one announced" });
      }
      for (const w of waiters) w();
    }
    this.writing = null;
  }
}
