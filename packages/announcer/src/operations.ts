// What the announcer runs beside its checks for the keys and signals users
// of ExaBGP's healthcheck look for, wired to a running Announcer: the
// state-change hooks, manage_loopback's addresses, SIGHUP (reload the config
// file) and SIGUSR2 (run every check now).

import type { Logger } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import { runProcess } from "@exacast/runtime";
import type { Announcer } from "./announcer.js";
import { checkAll } from "./check-all.js";
import type { AnnouncerConfig } from "./config.js";
import { HookRunner, hookObserver } from "./hooks.js";
import { LoopbackManager } from "./loopback.js";
import type { ReloadDeps } from "./reload.js";
import { ConfigReloader } from "./reload.js";

/** manage_loopback's manager for `cfg`, or null; its addresses follow the announcer once attached. */
export function createLoopback(cfg: AnnouncerConfig, log: Logger, clock: Clock): LoopbackManager | null {
  if (!cfg.manageLoopback) return null;
  // lo is read as often as a stable app is checked: a deleted VIP is noticed as soon as a failed check would be.
  return new LoopbackManager({ mode: cfg.manageLoopback, label: cfg.loopbackLabel, clock, verifyMs: cfg.timers.interval }, log);
}

/** A VIP whose address came or went is planned again; with `always`, every VIP named is kept on lo. */
export function attachLoopback(loopback: LoopbackManager, announcer: Announcer): void {
  loopback.onChange = (p) => announcer.replan([p]);
  const keep = () => loopback.keep([...announcer.registry.entries()].flatMap((e) => e.spec.vips));
  announcer.registry.on((ev) => {
    if (ev.kind === "added" || ev.kind === "removed" || ev.previous.vips !== ev.entry.spec.vips) keep();
  });
}

export interface Operations {
  readonly hooks: HookRunner;
  readonly reloader: ConfigReloader;
}

/** Hooks, SIGHUP and SIGUSR2 for a running announcer. */
export function startOperations(announcer: Announcer, cfg: AnnouncerConfig, log: Logger, load: ReloadDeps["load"]): Operations {
  const hooks = new HookRunner(runProcess, log);
  announcer.observe(hookObserver(hooks));
  const reloader = new ConfigReloader(cfg, { load, announcer, log });
  process.on("SIGHUP", () => {
    log.info("sighup", { action: "reload", file: cfg.file });
    reloader.reload();
  });
  process.on("SIGUSR2", () => checkAll(announcer, log, "SIGUSR2"));
  return { hooks, reloader };
}
