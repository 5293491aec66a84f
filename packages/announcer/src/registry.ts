// The apps the announcer runs, whoever added them: the config file today, the
// HTTP API and Consul later. Each entry carries its source, its FSM state and
// the last result of each check; an index by VIP lets a change to one app
// re-plan only the VIPs it names. Listeners hear every add, replace, remove.

import type { Prefix } from "@exacast/core";
import type { CheckResult } from "./checks/types.js";
import type { AppSource, AppSpec } from "./model.js";
import type { AppState } from "./fsm.js";
import { initialState, restartState } from "./fsm.js";

export interface AppEntry {
  spec: AppSpec;
  state: AppState;
  /** Last result of each check, in the spec's order (null: not run yet). */
  results: readonly (CheckResult | null)[];
  /** Why the last run passed or failed. */
  reason: string;
  lastCheckAt: number | null;
}

export type RegistryEvent =
  | { readonly kind: "added"; readonly entry: AppEntry }
  | { readonly kind: "replaced"; readonly entry: AppEntry; readonly previous: AppSpec; readonly restarted?: boolean }
  | { readonly kind: "removed"; readonly entry: AppEntry };

export type UpsertResult = "created" | "replaced" | "unchanged";

// Specs hold only plain validated values; their JSON is a faithful identity.
const sameSpec = (a: AppSpec, b: AppSpec) => JSON.stringify(a) === JSON.stringify(b);

export class AppRegistry {
  private readonly apps = new Map<string, AppEntry>();
  private readonly byVip = new Map<string, { prefix: Prefix; names: Set<string> }>();
  private readonly listeners: ((e: RegistryEvent) => void)[] = [];

  constructor(private readonly now: () => number) {}

  on(listener: (e: RegistryEvent) => void): void {
    this.listeners.push(listener);
  }

  get size(): number {
    return this.apps.size;
  }

  get(name: string): AppEntry | undefined {
    return this.apps.get(name);
  }

  entries(): IterableIterator<AppEntry> {
    return this.apps.values();
  }

  /** The apps that name `vip` (canonical prefix text). */
  onVip(vip: string): AppEntry[] {
    const v = this.byVip.get(vip);
    return v ? [...v.names].map((n) => this.apps.get(n)!) : [];
  }

  /**
   * Add an app, or replace the one with its name. A replaced app keeps its
   * state: a client that registers the same app again (GoCast clients do, on
   * a timer) must not make its routes flap. With `restart` (a config reload
   * changed its checks or timers) its checks start again from INIT, its routes
   * kept until they settle.
   */
  upsert(spec: AppSpec, opts: { restart?: (previous: AppSpec, next: AppSpec) => boolean } = {}): UpsertResult {
    const prior = this.apps.get(spec.name);
    if (prior && sameSpec(prior.spec, spec)) return "unchanged";
    if (prior) {
      const previous = prior.spec;
      this.unindex(previous);
      prior.spec = spec;
      if (prior.results.length !== spec.checks.length || !sameChecks(previous, spec)) prior.results = spec.checks.map(() => null);
      const restarted = opts.restart?.(previous, spec) ?? false;
      if (restarted) prior.state = restartState(prior.state, this.now());
      this.index(spec);
      this.emit({ kind: "replaced", entry: prior, previous, ...(restarted ? { restarted } : {}) });
      return "replaced";
    }
    const entry: AppEntry = { spec, state: initialState(this.now()), results: spec.checks.map(() => null), reason: "not checked yet", lastCheckAt: null };
    this.apps.set(spec.name, entry);
    this.index(spec);
    this.emit({ kind: "added", entry });
    return "created";
  }

  remove(name: string): AppEntry | undefined {
    const entry = this.apps.get(name);
    if (!entry) return undefined;
    this.apps.delete(name);
    this.unindex(entry.spec);
    this.emit({ kind: "removed", entry });
    return entry;
  }

  /** Make `source`'s apps exactly `specs`: add and replace those, remove its others. */
  sync(
    source: AppSource,
    specs: readonly AppSpec[],
    opts: { restart?: (previous: AppSpec, next: AppSpec) => boolean } = {},
  ): { created: number; replaced: number; removed: number } {
    const names = new Set(specs.map((s) => s.name));
    let created = 0;
    let replaced = 0;
    let removed = 0;
    for (const e of [...this.apps.values()]) {
      if (e.spec.source === source && !names.has(e.spec.name)) {
        this.remove(e.spec.name);
        removed++;
      }
    }
    for (const s of specs) {
      const r = this.upsert(s, opts);
      if (r === "created") created++;
      else if (r === "replaced") replaced++;
    }
    return { created, replaced, removed };
  }

  private index(spec: AppSpec): void {
    for (const p of spec.vips) {
      let v = this.byVip.get(p.text);
      if (!v) this.byVip.set(p.text, (v = { prefix: p, names: new Set() }));
      v.names.add(spec.name);
    }
  }

  private unindex(spec: AppSpec): void {
    for (const p of spec.vips) {
      const v = this.byVip.get(p.text);
      v?.names.delete(spec.name);
      if (v && v.names.size === 0) this.byVip.delete(p.text);
    }
  }

  private emit(e: RegistryEvent): void {
    for (const l of this.listeners) l(e);
  }
}

const sameChecks = (a: AppSpec, b: AppSpec) => JSON.stringify(a.checks) === JSON.stringify(b.checks);
