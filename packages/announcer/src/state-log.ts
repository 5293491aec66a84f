// The log line of one check result: `app_state` when the state (or its
// RISING/FALLING count) moved, `app_check` at debug level otherwise.

import type { Logger } from "@exacast/core";
import type { AppCheckResult } from "./checks/index.js";
import type { AppState, Step } from "./fsm.js";
import type { AppEntry } from "./registry.js";

export function logCheckResult(log: Logger, e: AppEntry, r: AppCheckResult, s: Step, prev: AppState): void {
  if (s.changed || s.state.count !== prev.count) {
    const counted = s.state.name === "RISING" || s.state.name === "FALLING";
    log.info("app_state", {
      app: e.spec.name,
      from: prev.name,
      to: s.state.name,
      ...(counted ? { count: `${s.state.count}/${s.state.name === "RISING" ? e.spec.timers.rise : e.spec.timers.fall}` } : {}),
      serving: s.state.serving,
      reason: r.reason,
    });
  } else if (log.enabled("debug")) log.debug("app_check", { app: e.spec.name, state: s.state.name, reason: r.reason });
}
