// NAT rules, GoCast's `nat=tcp:53:8053`: while a VIP is announced, traffic
// arriving for <vip>:53 is redirected to this host's port 8053 (GoCast: an
// iptables DNAT to the host's own address in PREROUTING). The entries, the
// rules wanted for what is announced now, and the firewall commands that make
// them so. Pure: nat.ts runs the commands.
//
// nftables: one table of our own (`inet exacast`), replaced whole in one nft
// transaction, so no packet ever sees half a rule set and nothing of anyone
// else's is touched. iptables: one chain of our own (EXACAST in the nat
// table) jumped to from PREROUTING; rules are added and deleted one by one,
// so a rule that stays is never missing for an instant.

import type { Prefix } from "@exacast/core";
import { comparePrefixes, portSchema } from "@exacast/core";
import { z } from "zod";

export type NatProtocol = "tcp" | "udp";

/** One `nat:` entry: traffic for the VIP's `port` goes to this host's `toPort`. */
export interface NatEntry {
  readonly protocol: NatProtocol;
  readonly port: number;
  readonly toPort: number;
}

/** One rule as installed: a VIP (its whole prefix), a protocol and the ports. */
export interface NatRule extends NatEntry {
  readonly vip: Prefix;
}

export const NAT_TABLE = "exacast";
export const NAT_CHAIN = "EXACAST";

const FORM = /^(tcp|udp):(\d{1,5})(?::(\d{1,5}))?$/;

/** `tcp:53:8053` (53 to 8053) or `udp:53` (53 to 53) → an entry, or why not. */
export function parseNatEntry(text: string): NatEntry | string {
  const m = FORM.exec(text);
  const bad = `expected protocol:port[:local_port], e.g. tcp:53:8053 or udp:53 (protocol tcp or udp, ports 1..65535), got ${JSON.stringify(text.slice(0, 40))}`;
  if (!m) return bad;
  const port = Number(m[2]);
  const toPort = m[3] === undefined ? port : Number(m[3]);
  if (!portSchema.safeParse(port).success || !portSchema.safeParse(toPort).success) return bad;
  return { protocol: m[1] as NatProtocol, port, toPort };
}

export const natEntrySchema = z.string().transform((s, ctx): NatEntry => {
  const e = parseNatEntry(s);
  if (typeof e === "string") {
    ctx.addIssue({ code: "custom", message: e });
    return z.NEVER;
  }
  return e;
});

export const natListSchema = z
  .array(natEntrySchema)
  .max(64, "at most 64 NAT entries")
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      const key = `${e.protocol}:${e.port}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: [i], message: `${key} is redirected twice; one local port per VIP port` });
      seen.add(key);
    });
  });

export const natText = (e: NatEntry) => (e.port === e.toPort ? `${e.protocol}:${e.port}` : `${e.protocol}:${e.port}:${e.toPort}`);

const ruleKey = (r: NatRule) => `${r.vip.text} ${r.protocol} ${r.port}`;

/**
 * The rules for what is announced: each announced VIP with the NAT entries
 * of the apps naming it. Two apps redirecting one VIP port to different local
 * ports cannot both win: the first app by name keeps it, the other is reported.
 */
export function wantedRules(
  announced: Iterable<Prefix>,
  appsOn: (vip: Prefix) => Iterable<{ readonly name: string; readonly nat: readonly NatEntry[] }>,
): { rules: NatRule[]; conflicts: string[] } {
  const byKey = new Map<string, NatRule & { app: string }>();
  const conflicts: string[] = [];
  for (const vip of announced) {
    const apps = [...appsOn(vip)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const a of apps) {
      for (const e of a.nat) {
        const r = { vip, ...e, app: a.name };
        const prior = byKey.get(ruleKey(r));
        if (prior === undefined) byKey.set(ruleKey(r), r);
        else if (prior.toPort !== e.toPort) conflicts.push(`${vip.text} ${natText(e)} of app ${a.name} conflicts with ${natText(prior)} of app ${prior.app}; keeping ${prior.app}'s`);
      }
    }
  }
  const rules = [...byKey.values()].map(({ app: _app, ...r }) => r);
  return { rules: rules.sort(compareRules), conflicts };
}

function compareRules(a: NatRule, b: NatRule): number {
  return comparePrefixes(a.vip, b.vip) || (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0) || a.port - b.port;
}

/** The nft script that makes our table exactly `rules` (one transaction); no rules: the table is gone. */
export function nftScript(rules: readonly NatRule[]): string {
  // `add table` first so `delete table` cannot fail when there is none.
  const lines = [`add table inet ${NAT_TABLE}`, `delete table inet ${NAT_TABLE}`];
  if (rules.length === 0) return lines.join("\n") + "\n";
  lines.push(`table inet ${NAT_TABLE} {`, "  chain prerouting {", "    type nat hook prerouting priority dstnat; policy accept;");
  for (const r of rules) lines.push(`    ${r.vip.family === 4 ? "ip" : "ip6"} daddr ${r.vip.text} ${r.protocol} dport ${r.port} redirect to :${r.toPort}`);
  lines.push("  }", "}");
  return lines.join("\n") + "\n";
}

/** iptables' arguments of one rule in our chain (after -A/-D EXACAST). */
export function iptablesRuleArgs(r: NatRule): string[] {
  return ["-d", r.vip.text, "-p", r.protocol, "-m", r.protocol, "--dport", String(r.port), "-j", "REDIRECT", "--to-ports", String(r.toPort)];
}

export type IptablesCommand = readonly [program: "iptables" | "ip6tables", ...args: string[]];

const programOf = (r: NatRule): "iptables" | "ip6tables" => (r.vip.family === 4 ? "iptables" : "ip6tables");

/** The commands from the rules installed to the rules wanted: deletions first, then additions, in rule order. */
export function iptablesDiff(installed: readonly NatRule[], wanted: readonly NatRule[]): IptablesCommand[] {
  const text = (r: NatRule) => `${ruleKey(r)} ${r.toPort}`;
  const want = new Set(wanted.map(text));
  const have = new Set(installed.map(text));
  const out: IptablesCommand[] = [];
  for (const r of installed) if (!want.has(text(r))) out.push([programOf(r), "-t", "nat", "-D", NAT_CHAIN, ...iptablesRuleArgs(r)]);
  for (const r of wanted) if (!have.has(text(r))) out.push([programOf(r), "-t", "nat", "-A", NAT_CHAIN, ...iptablesRuleArgs(r)]);
  return out;
}
