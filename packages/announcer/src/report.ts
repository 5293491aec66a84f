// What `exacast-announcer check` prints: the apps it would run, with every
// default resolved, and the commands it would write with all of them UP.

import { formatCommunity, formatDuration } from "@exacast/core";
import { describeCheck } from "./checks/index.js";
import type { AnnouncerConfig } from "./config.js";
import type { Degrade } from "./degraded.js";
import type { NextHopConfig, Timers } from "./model.js";
import { planAll, sentRouteOf } from "./planner.js";

const timers = (t: Timers) =>
  `interval ${formatDuration(t.interval)}, fast_interval ${formatDuration(t.fastInterval)}, timeout ${formatDuration(t.timeout)}, ` +
  `rise ${t.rise}, fall ${t.fall}, splay ${formatDuration(t.splay)}`;

const degrade = (d: Degrade | null | undefined) =>
  d
    ? `announced de-preferred${d.med !== null ? `, med ${d.med}` : ""}${d.asPathPrepend.length ? `, prepend ${d.asPathPrepend.join(" ")}` : ""}` +
      `${d.communities.length ? `, communities ${d.communities.map(formatCommunity).join(" ")}` : ""}`
    : "withdrawn";

const nextHop = (n: NextHopConfig) => (n === "self" ? "self" : [n.v4?.text, n.v6?.text].filter(Boolean).join(" "));

export function formatCheckReport(cfg: AnnouncerConfig): string {
  const vips = new Set(cfg.apps.flatMap((a) => a.vips.map((v) => v.text)));
  const out = [
    `${cfg.file}: valid, ${cfg.apps.length} app${cfg.apps.length === 1 ? "" : "s"}, ${vips.size} VIP${vips.size === 1 ? "" : "s"}`,
    `next_hop ${nextHop(cfg.nextHop)}, community_asn ${cfg.communityAsn}, ack ${cfg.ack}, ` +
      `drain_file ${cfg.drainFile ?? "none"}, drain_time ${formatDuration(cfg.drainTime)}, manage_loopback ${cfg.manageLoopback}${cfg.loopbackLabel ? ` (label lo:${cfg.loopbackLabel})` : ""}`,
  ];
  const h = cfg.http;
  if (h) {
    out.push(
      `http ${h.listen.host.includes(":") ? `[${h.listen.host}]` : h.listen.host}:${h.listen.port}, token ${h.token ? "set" : "none (no authentication)"}, ` +
        `state_file ${h.stateFile ?? "none"}, allow_exec ${h.allowExec}`,
    );
  }
  const c = cfg.consul;
  if (c) {
    out.push(
      `consul ${c.address.secure ? "https" : "http"}://${c.address.host}:${c.address.port}, node ${c.node ?? "(from the agent)"}, ` +
        `token ${c.tokenFrom ? `set (${c.tokenFrom})` : "none"}, tag ${c.tag}, interval ${formatDuration(c.interval)}, wait ${formatDuration(c.wait)}, ` +
        `hold ${formatDuration(c.hold)}, allow_exec ${c.allowExec}`,
    );
  }
  for (const a of cfg.apps) {
    out.push("", `app ${a.name}`);
    out.push(`  vips      ${a.vips.map((v) => v.text).join(" ")}`);
    out.push(`  ports     ${a.ports.length ? a.ports.join(" ") : "(none)"}`);
    out.push(`  checks    ${a.checks.length ? "" : "(none: always up)"}`.trimEnd());
    for (const c of a.checks) out.push(`    - ${describeCheck(c)}`);
    out.push(`  timers    ${timers(a.timers)}`);
    const attrs = [
      a.communities.length ? `communities ${a.communities.map(formatCommunity).join(" ")}` : "",
      a.med !== null ? `med ${a.med}` : "",
      a.localPref !== null ? `local_pref ${a.localPref}` : "",
    ].filter(Boolean);
    if (attrs.length) out.push(`  route     ${attrs.join(", ")}`);
    if (a.nat?.length) out.push(`  nat       ${a.nat.map((e) => `${e.protocol} <vip>:${e.port} -> local ${e.toPort}`).join(", ")} (${cfg.natBackend})`);
    if (a.onDown || a.onDisabled) out.push(`  down      ${degrade(a.onDown)}; disabled: ${degrade(a.onDisabled)}`);
    const x = a.execute;
    if (x) out.push(`  execute   ${typeof x.command === "string" ? `(shell) ${JSON.stringify(x.command)}` : JSON.stringify(x.command)}, timeout ${formatDuration(x.timeout)}`);
  }
  const all = planAll(
    cfg.apps.map((a) => ({ ...a, serving: true })),
    { communityAsn: cfg.communityAsn, nextHop: cfg.nextHop, draining: false },
  );
  if (all.size > 0) {
    out.push("", "with every app UP it would write:");
    for (const r of all.values()) out.push(`  ${sentRouteOf(r)?.announce ?? `(cannot build a command for ${r.prefix.text})`}`);
  }
  return out.join("\n") + "\n";
}
