// The announcer's run-time inputs, fuzzed: PUT bodies (hostile values, any
// JSON, and mutated valid bodies), GoCast queries and Consul services go
// through the same validation the HTTP server and the Consul watcher use,
// then through the planner to the commands ExaBGP would get. Whatever the
// input, every command is one well-formed `announce`/`withdraw` line; and
// every input accepted is announced, on each of its VIPs, with a community
// for each of its ports (a planner that announced nothing would fail here).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inApi, isCommandLine } from "@exacast/core";
import type { RequestContext } from "../../packages/announcer/src/app-request.js";
import { parseJsonBody, validateApp } from "../../packages/announcer/src/app-request.js";
import type { AppSpec } from "../../packages/announcer/src/model.js";
import { loadAnnouncerConfig } from "../../packages/announcer/src/config.js";
import { serviceApp } from "../../packages/announcer/src/consul/tags.js";
import { parseGoCastRegister } from "../../packages/announcer/src/gocast.js";
import { iptablesDiff, nftScript, wantedRules } from "../../packages/announcer/src/nat-rules.js";
import { firstWithdraw, planVip, sentRouteOf } from "../../packages/announcer/src/planner.js";
import { appBody, consulService, goCastQuery, toSearchParams } from "./announcer-inputs.fuzz.js";
import { Budget, timed } from "./budget.js";
import { mutate, seeded } from "./mutate.js";

function context(nextHop: string): RequestContext {
  const r = loadAnnouncerConfig(`next_hop: ${nextHop}\ncommunities: ["65000:1"]\nconsul: { address: "127.0.0.1:8500" }\n`, "/etc/exacast/a.yaml");
  if (!r.ok) throw new Error(r.error.join("\n"));
  return { globals: r.value, baseDir: "/etc/exacast", rules: { consul: true, exec: false, execRefused: "refused" } };
}
const contexts = [context("self"), context("[192.0.2.2, 2001:db8::2]")];

/**
 * Every line ExaBGP could get for this app: announced (draining or not),
 * withdrawn, first verdict. An accepted app is UP here, so each of its VIPs
 * must be announced, with `<asn>:<port>` for each port (and 65535:0 while
 * draining): validation already refused a VIP no next hop can carry.
 */
function commandsOf(spec: AppSpec, ctx: RequestContext): string[] {
  const view = { ...spec, serving: true };
  const asn = ctx.globals.communityAsn;
  const lines: string[] = [];
  for (const vip of spec.vips) {
    // A DOWN app keeping its VIP de-preferred (on_down) writes its own line.
    if (spec.onDown) {
      const down = planVip(vip, [{ ...spec, serving: false, degraded: spec.onDown }], { communityAsn: asn, nextHop: ctx.globals.nextHop, draining: false });
      const sent = down && sentRouteOf(down);
      if (!sent || new RegExp(` community \\[[^\\]]*\\b${asn}:`).test(sent.announce)) return expect.fail(`accepted app ${spec.name}: de-preferred route ${sent?.announce ?? "missing"}`);
      lines.push(sent.announce);
    }
    for (const draining of [false, true]) {
      const route = planVip(vip, [view], { communityAsn: asn, nextHop: ctx.globals.nextHop, draining });
      const sent = route && sentRouteOf(route);
      if (!sent) return expect.fail(`accepted app ${spec.name}: no announcement planned for ${vip.text}`);
      const communities = /community \[([^\]]*)\]/.exec(sent.announce)?.[1]?.split(" ") ?? [];
      const want = [...spec.ports.map((p) => `${asn}:${p}`), ...(draining ? ["65535:0"] : [])];
      if (!new RegExp(`^(?:neighbor \\S+ (?:, neighbor \\S+ )*)?announce route ${vip.text.replace(/\./g, "\\.")} next-hop `).test(sent.announce) || want.some((c) => !communities.includes(c))) {
        expect.fail(`accepted app ${spec.name} on ${vip.text}: ${JSON.stringify(sent.announce)} lacks ${want.filter((c) => !communities.includes(c)).join(" ") || "its prefix"}`);
      }
      tally.announces++;
      lines.push(sent.announce, sent.withdraw);
    }
    const first = firstWithdraw(vip, ctx.globals.nextHop, [view]);
    if (!first) return expect.fail(`accepted app ${spec.name}: no withdraw for ${vip.text}`);
    lines.push(first.line);
  }
  return lines;
}

const tally = { accepted: 0, refused: 0, lines: 0, announces: 0, natRules: 0 };
/** Inputs accepted, by test: each generator must reach acceptance, or its test proves only refusals. */
const accepted: Record<string, number> = {};
let current = "";
const runs = { put: 0, mutated: 0, gocast: 0, consul: 0 };
function judge(r: ReturnType<typeof validateApp>, ctx: RequestContext): void {
  if (!r.ok) {
    tally.refused++;
    expect(r.error.length).toBeGreaterThan(0);
    return;
  }
  tally.accepted++;
  accepted[current] = (accepted[current] ?? 0) + 1;
  for (const line of commandsOf(r.value.spec, ctx)) {
    tally.lines++;
    if (!isCommandLine(line) || /[\r\n]/.test(line)) expect.fail(`malformed command ${JSON.stringify(line)}`);
    // And as ExaBGP 6's API takes it (`peer …` first).
    const v6 = inApi(line, 6);
    if (!v6.ok || !isCommandLine(v6.value) || /[\r\n]/.test(v6.value)) expect.fail(`malformed API v6 command for ${JSON.stringify(line)}`);
  }
  natSafe(r.value.spec);
}

/** What an accepted app's `nat` would give the firewall: one rule per line, digits, dots and colons only. */
function natSafe(spec: AppSpec): void {
  if (!spec.nat?.length) return;
  const { rules } = wantedRules(spec.vips, () => [{ name: spec.name, nat: spec.nat ?? [] }]);
  const lines = nftScript(rules).split("\n").filter((l) => l.includes("redirect"));
  if (lines.length !== rules.length) expect.fail(`nft script for ${spec.name}: ${lines.length} rule lines for ${rules.length} rules`);
  for (const l of lines) if (!/^ {4}ip6? daddr [0-9a-f.:]+\/\d{1,3} (tcp|udp) dport \d{1,5} redirect to :\d{1,5}$/.test(l)) expect.fail(`unsafe nft rule ${JSON.stringify(l)}`);
  for (const cmd of iptablesDiff([], rules)) for (const arg of cmd) if (!/^[A-Za-z0-9.:/-]+$/.test(arg)) expect.fail(`unsafe iptables argument ${JSON.stringify(arg)}`);
  tally.natRules += rules.length;
}

describe("announcer inputs under fuzzing: only well-formed commands come out", () => {
  it("PUT /v1/apps/{name} bodies with hostile values, and any JSON", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom("web", "a.b-c_1"), fc.string({ maxLength: 70 })), appBody, fc.nat(1), (name, body, i) => {
        runs.put++; current = "put";
        const ctx = contexts[i]!;
        const parsed = parseJsonBody(JSON.stringify(body) ?? "null");
        if (parsed.ok) judge(validateApp(name, parsed.value, "http", ctx), ctx);
      }),
      timed(10_000, 0.3),
    );
  });

  it("mutated valid bodies (bit flips, truncation, swaps, huge and deep values)", () => {
    const valid = [
      { vip: "10.255.255.1/32", ports: [443, 80], checks: [{ tcp: "127.0.0.1:443" }] },
      { vips: ["10.255.255.2/32", "2001:db8::2/128"], ports: [53], communities: ["65000:7"], med: 10, checks: [{ udp: { address: "127.0.0.1:53", send: "00", expect: "00" } }] },
      { vip: "10.255.255.3/32", ports: [8080], local_pref: 200, checks: [{ http: { url: "http://127.0.0.1:8080/h", status: 200, contains: "ok" } }, { file_absent: "/tmp/x" }] },
    ].map((b) => JSON.stringify(b));
    const r = seeded(7);
    const budget = new Budget(20_000, 0.4);
    for (let n = 0; budget.more(); n++) {
      runs.mutated++; current = "mutated";
      const ctx = contexts[n % 2]!;
      const parsed = parseJsonBody(mutate(r, valid[n % valid.length]!));
      if (parsed.ok) judge(validateApp("web", parsed.value, "http", ctx), ctx);
      else tally.refused++;
    }
  });

  it("GoCast /register queries", () => {
    fc.assert(
      fc.property(goCastQuery, (q) => {
        runs.gocast++; current = "gocast";
        const ctx = contexts[0]!;
        const g = parseGoCastRegister(toSearchParams(q), { allowExec: false });
        if (!g.ok) {
          tally.refused++;
          return;
        }
        judge(validateApp(g.value.name, g.value.input, "http", ctx), ctx);
      }),
      timed(10_000, 0.15),
    );
  });

  it("Consul services and their tags", () => {
    fc.assert(
      fc.property(consulService, (svc) => {
        runs.consul++; current = "consul";
        const ctx = contexts[1]!;
        const app = serviceApp(svc, { tag: "exacast", allowExec: false });
        if (app === null || app.kind === "skip") {
          tally.refused++;
          return;
        }
        judge(validateApp(app.name, app.input, "consul", ctx), ctx);
      }),
      timed(10_000, 0.15),
    );
  });

  it("both outcomes were exercised, and every accepted app was announced", () => {
    console.log(`announcer inputs fuzzed: ${JSON.stringify(runs)} runs, ${JSON.stringify(accepted)} accepted; ${tally.accepted} accepted, ${tally.refused} refused, ${tally.announces} announcements, ${tally.lines} command lines checked`);
    for (const [what, n] of Object.entries(runs)) {
      expect(n, `${what} runs within the budget`).toBeGreaterThanOrEqual(300);
      expect(accepted[what] ?? 0, `${what} inputs accepted`).toBeGreaterThanOrEqual(n / 50);
    }
    expect(tally.accepted).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(1000);
    expect(tally.announces).toBeGreaterThanOrEqual(2 * tally.accepted);
    expect(tally.natRules, "accepted apps with nat entries").toBeGreaterThan(10);
  });
});
