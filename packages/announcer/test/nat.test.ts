// NAT (GoCast's nat=tcp:53:8053): the rules wanted for what is announced, the
// nft script and iptables commands that make the firewall hold them, and the
// controller's order of commands, with a recorded runner (no firewall here;
// test/e2e/announcer-nat.test.ts sends real traffic in a namespace).

import type { Prefix } from "@exacast/core";
import { createLogger, parsePrefix } from "@exacast/core";
import { describe, expect, it } from "vitest";
import type { NatRunner } from "../src/nat.js";
import { NatController } from "../src/nat.js";
import type { NatEntry, NatRule } from "../src/nat-rules.js";
import { iptablesDiff, nftScript, parseNatEntry, wantedRules } from "../src/nat-rules.js";

const P = (s: string): Prefix => {
  const r = parsePrefix(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const E = (s: string) => parseNatEntry(s) as NatEntry;
const rule = (vip: string, entry: string): NatRule => ({ vip: P(vip), ...E(entry) });
const quiet = createLogger({ program: "t", level: "error", write: () => {} });

describe("NAT entries and rules", () => {
  it("GoCast's two forms; anything else is named", () => {
    expect(parseNatEntry("tcp:53:8053")).toEqual({ protocol: "tcp", port: 53, toPort: 8053 });
    expect(parseNatEntry("udp:53")).toEqual({ protocol: "udp", port: 53, toPort: 53 });
    for (const bad of ["tcp", "tcp:53:80:1", "TCP:53", "tcp:0", "tcp:53:65536", "tcp: 53", "icmp:1", "tcp:53\n"]) expect(typeof parseNatEntry(bad), bad).toBe("string");
  });

  it("rules for announced VIPs only, from every app naming them; a clash keeps the first app by name", () => {
    const apps = new Map([
      ["10.0.0.1/32", [{ name: "web", nat: [E("tcp:80:8080")] }, { name: "dns", nat: [E("udp:53:8053"), E("tcp:80:9090")] }]],
      ["10.0.0.2/32", [{ name: "mail", nat: [E("tcp:25:2525")] }]],
      ["2001:db8::1/128", [{ name: "web6", nat: [E("tcp:443")] }]],
    ]);
    const { rules, conflicts } = wantedRules([P("2001:db8::1/128"), P("10.0.0.1/32")], (v) => apps.get(v.text) ?? []);
    expect(rules).toEqual([rule("10.0.0.1/32", "tcp:80:9090"), rule("10.0.0.1/32", "udp:53:8053"), rule("2001:db8::1/128", "tcp:443")]);
    expect(conflicts).toEqual(["10.0.0.1/32 tcp:80:8080 of app web conflicts with tcp:80:9090 of app dns; keeping dns's"]);
    expect(wantedRules([], (v) => apps.get(v.text) ?? []).rules).toEqual([]);
  });

  it("nft: our own table, replaced whole in one transaction; none left when nothing is wanted", () => {
    expect(nftScript([rule("10.0.0.0/24", "tcp:53:8053"), rule("2001:db8::1/128", "udp:53")])).toBe(
      [
        "add table inet exacast",
        "delete table inet exacast",
        "table inet exacast {",
        "  chain prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        "    ip daddr 10.0.0.0/24 tcp dport 53 redirect to :8053",
        "    ip6 daddr 2001:db8::1/128 udp dport 53 redirect to :53",
        "  }",
        "}",
      ].join("\n") + "\n",
    );
    expect(nftScript([])).toBe("add table inet exacast\ndelete table inet exacast\n");
  });

  it("iptables: rules that stay are not touched; deletions before additions; IPv6 through ip6tables", () => {
    const a = rule("10.0.0.1/32", "tcp:53:8053");
    const b = rule("10.0.0.2/32", "udp:53");
    const c = rule("2001:db8::1/128", "tcp:80:8080");
    expect(iptablesDiff([a, b], [a, c])).toEqual([
      ["iptables", "-t", "nat", "-D", "EXACAST", "-d", "10.0.0.2/32", "-p", "udp", "-m", "udp", "--dport", "53", "-j", "REDIRECT", "--to-ports", "53"],
      ["ip6tables", "-t", "nat", "-A", "EXACAST", "-d", "2001:db8::1/128", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "REDIRECT", "--to-ports", "8080"],
    ]);
    expect(iptablesDiff([a], [a])).toEqual([]);
    // The same VIP port to another local port is a delete and an add.
    expect(iptablesDiff([a], [rule("10.0.0.1/32", "tcp:53:9053")]).map((c) => c[3])).toEqual(["-D", "-A"]);
  });
});

function recorder(fail: (argv: readonly string[]) => boolean = () => false) {
  const calls: string[] = [];
  const run: NatRunner = async (argv) => {
    calls.push(argv.join(" "));
    if (argv[1] === "--version") return { ok: true, output: argv[0] === "iptables" ? "iptables v1.8.9 (nf_tables)" : "nftables v1.0.6" };
    return fail(argv) ? { ok: false, output: "exit 1: failed" } : { ok: true, output: "" };
  };
  return { calls, run };
}

describe("NatController", () => {
  it("touches nothing until a rule is wanted, nor at exit then", async () => {
    const r = recorder();
    const nat = new NatController("auto", quiet, r.run);
    nat.want([]);
    await nat.clear();
    expect(r.calls).toEqual([]);
  });

  it("auto picks nftables beside iptables-nft; clears what a killed run left, then applies; exit removes the table", async () => {
    const r = recorder();
    const nat = new NatController("auto", quiet, r.run);
    nat.want([rule("10.0.0.1/32", "tcp:53:8053")]);
    nat.want([rule("10.0.0.1/32", "tcp:53:8053"), rule("10.0.0.2/32", "udp:53")]);
    await nat.settled();
    expect(r.calls.map((c) => c.split("\n")[0]!.trim())).toEqual(["iptables --version", "nft --version", "nft add table inet exacast", "nft add table inet exacast"]);
    // The two wishes of one turn are one change, the latest.
    expect(r.calls[3]).toContain("ip daddr 10.0.0.2/32 udp dport 53 redirect to :53");
    await nat.clear();
    expect(r.calls[4]).toBe("nft add table inet exacast\ndelete table inet exacast\n");
    expect(r.calls).toHaveLength(5);
  });

  it("auto picks iptables where the host's iptables is legacy", async () => {
    const calls: string[] = [];
    const nat = new NatController("auto", quiet, async (argv) => {
      calls.push(argv.join(" "));
      return { ok: !(argv.includes("-C") || (argv.includes("-D") && argv.includes("PREROUTING"))), output: argv[1] === "--version" ? "iptables v1.8.9 (legacy)" : "" };
    });
    nat.want([rule("10.0.0.1/32", "tcp:53:8053")]);
    await nat.settled();
    expect(calls[0]).toBe("iptables --version");
    expect(calls).not.toContain("nft --version");
    expect(calls.slice(-4)).toEqual([
      "iptables -t nat -N EXACAST",
      "iptables -t nat -C PREROUTING -j EXACAST",
      "iptables -t nat -I PREROUTING -j EXACAST",
      "iptables -t nat -A EXACAST -d 10.0.0.1/32 -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 8053",
    ]);
  });

  it("iptables: a withdrawn VIP's rule is deleted alone; exit takes the jump, the rules and the chain away", async () => {
    // A jump exists once inserted, until deleted: -C and -D PREROUTING answer as iptables would.
    let jumps = 0;
    const r = recorder((argv) => {
      if (!argv.includes("PREROUTING")) return false;
      const v4 = argv[0] === "iptables";
      if (argv.includes("-I")) return !(v4 && ++jumps > 0);
      if (argv.includes("-C")) return !(v4 && jumps > 0);
      if (v4 && jumps > 0) return !(jumps-- > 0);
      return true;
    });
    const nat = new NatController("iptables", quiet, r.run);
    const a = rule("10.0.0.1/32", "tcp:53:8053");
    const b = rule("10.0.0.2/32", "udp:53");
    nat.want([a, b]);
    await nat.settled();
    const before = r.calls.length;
    nat.want([a]);
    await nat.settled();
    expect(r.calls.slice(before)).toEqual(["iptables -t nat -D EXACAST -d 10.0.0.2/32 -p udp -m udp --dport 53 -j REDIRECT --to-ports 53"]);
    const mark = r.calls.length;
    await nat.clear();
    expect(r.calls.slice(mark)).toEqual([
      "iptables -t nat -D PREROUTING -j EXACAST",
      "iptables -t nat -D PREROUTING -j EXACAST",
      "iptables -t nat -F EXACAST",
      "iptables -t nat -X EXACAST",
      "ip6tables -t nat -D PREROUTING -j EXACAST",
      "ip6tables -t nat -F EXACAST",
      "ip6tables -t nat -X EXACAST",
    ]);
    expect(jumps).toBe(0);
  });

  it("a failed nft run is logged and retried at the next change", async () => {
    const logged: string[] = [];
    const log = createLogger({ program: "t", level: "info", write: (l) => void logged.push(l) });
    let failing = true;
    const r = recorder((argv) => failing && argv[0] === "nft" && argv[1]!.includes("redirect"));
    const nat = new NatController("nftables", log, r.run);
    nat.want([rule("10.0.0.1/32", "tcp:53:8053")]);
    await nat.settled();
    expect(logged.join("")).toMatch(/nat_failed backend=nftables/);
    failing = false;
    nat.want([rule("10.0.0.1/32", "tcp:53:8053")]);
    await nat.settled();
    expect(logged.join("")).toMatch(/nat_rules backend=nftables rules=1 now="?10\.0\.0\.1\/32 tcp:53->8053/);
  });
});
