// SIGUSR2 and POST /v1/checks: every app's checks run now instead of at their
// next interval (after a deploy, to see the effect at once). A check already
// running is left to finish; results go through the FSM as usual, so rise and
// fall still count.

import type { Logger } from "@exacast/core";
import type { AnnouncerView } from "./announcer-view.js";

/** Ask every app for a check now; the number of apps asked. */
export function checkAll(view: Pick<AnnouncerView, "registry" | "checkNow">, log: Logger, reason: string): number {
  let apps = 0;
  for (const e of view.registry.entries()) {
    view.checkNow(e.spec.name);
    apps++;
  }
  log.info("check_all", { reason, apps });
  return apps;
}
