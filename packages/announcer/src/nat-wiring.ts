// When the NAT rules are worked out again: a VIP announced or withdrawn, an
// app added, replaced (its `nat` may have changed) or removed. Many changes in
// one turn of the event loop (a Consul sync, a restore) cost one computation.

import type { Logger, Prefix } from "@exacast/core";
import type { Clock } from "@exacast/runtime";
import type { AnnouncerView } from "./announcer-view.js";
import type { NatController } from "./nat.js";
import { wantedRules } from "./nat-rules.js";

export function natWiring(announcer: AnnouncerView, nat: NatController, clock: Clock, log: Logger): void {
  const reg = announcer.registry;
  let scheduled = false;
  let anyNat = false;
  let lastConflicts = "";
  const compute = () => {
    scheduled = false;
    const announced: Prefix[] = announcer.snapshot().announced.map((r) => r.prefix);
    const appsOn = (vip: Prefix) => reg.onVip(vip.text).map((e) => ({ name: e.spec.name, nat: e.spec.nat ?? [] }));
    const { rules, conflicts } = wantedRules(announced, appsOn);
    const text = conflicts.join("; ");
    if (text !== lastConflicts && text !== "") log.warn("nat_conflict", { conflicts: text });
    lastConflicts = text;
    nat.want(rules);
  };
  const schedule = () => {
    // Until an app asks for NAT there is nothing to compute (nor, after, to keep in step).
    if (scheduled || !anyNat) return;
    scheduled = true;
    clock.setTimeout(compute, 0);
  };
  reg.on((ev) => {
    if (ev.entry.spec.nat?.length) anyNat = true;
    schedule();
  });
  announcer.observe({ routed: () => schedule() });
}
