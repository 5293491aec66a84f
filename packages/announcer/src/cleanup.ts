// http.cleanup_after, GoCast's cleanup_timer: an app registered over HTTP
// whose VIPs were withdrawn (it was serving, then stopped) and that stays so
// for cleanup_after is dropped, as if unregistered. GoCast starts the timer
// when it withdraws an app and stops it when the app is announced again; an
// app that never came up is never dropped. Here a registration of the same
// app (GoCast's /register, PUT /v1/apps) also starts the wait again: a client
// that keeps registering an app still wants it.
//
// Driven by the announcer's check results and the registry's events; time
// comes from a Clock, so tests move it by hand.

import type { Logger } from "@exacast/core";
import type { Clock, TimerHandle } from "@exacast/runtime";
import type { AppEntry, RegistryEvent } from "./registry.js";

export class HttpCleanup {
  /** Serving as last seen, per HTTP app. */
  private readonly serving = new Map<string, boolean>();
  /** Running timers and when each started, per app name. */
  private readonly timers = new Map<string, { handle: TimerHandle; since: number }>();

  constructor(
    private readonly afterMs: number,
    private readonly clock: Clock,
    /** Drop the app (unregister it); called once its time is up. */
    private readonly drop: (name: string) => void,
    private readonly log: Logger,
  ) {}

  /** Apps waiting to be dropped, with the clock time each wait started (for tests and /status). */
  get pending(): ReadonlyMap<string, number> {
    return new Map([...this.timers].map(([n, t]) => [n, t.since]));
  }

  /** A check result of `e` (its state already updated). */
  checked(e: AppEntry): void {
    const name = e.spec.name;
    if (e.spec.source !== "http") return;
    const was = this.serving.get(name) ?? false;
    const now = e.state.serving;
    this.serving.set(name, now);
    if (now) this.cancel(name);
    else if (was) this.start(name);
  }

  /** The app was registered again over HTTP: a wait in progress starts over. */
  registered(name: string): void {
    if (this.timers.has(name)) this.start(name);
  }

  /** What the registry did: a removed app, or one taken over by another source, is no longer ours to drop. */
  onRegistry(ev: RegistryEvent): void {
    const name = ev.entry.spec.name;
    if (ev.kind === "removed" || ev.entry.spec.source !== "http") {
      this.cancel(name);
      this.serving.delete(name);
    }
  }

  /** Stop every timer (at exit). */
  stop(): void {
    for (const name of [...this.timers.keys()]) this.cancel(name);
  }

  private start(name: string): void {
    this.cancel(name);
    const since = this.clock.now();
    const handle = this.clock.setTimeout(
      () => {
        this.timers.delete(name);
        if (this.serving.get(name) !== false) return;
        this.log.info("http_app_cleanup", { app: name, waited_ms: Math.round(this.clock.now() - since) });
        this.drop(name);
      },
      this.afterMs,
      { background: true },
    );
    this.timers.set(name, { handle, since });
  }

  private cancel(name: string): void {
    const t = this.timers.get(name);
    if (!t) return;
    this.clock.clearTimeout(t.handle);
    this.timers.delete(name);
  }
}
