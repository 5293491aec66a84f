// exacast-listener as a program, fed on stdin the way ExaBGP feeds it: EOF,
// SIGTERM, SIGHUP, exit codes, bad input, the render subcommand, and a real
// HAProxy check guarding the installed file.

import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { REFRESH_LINE } from "@exacast/core";
import { announce, eor, fixture, SHUTDOWN, state, withdraw } from "../../packages/listener/test/exa-lines.js";
import { Lab, repoRoot, waitFor } from "../harness/index.js";
import { ListenerProcess } from "../harness/listener.js";

const lab = new Lab("listener-process");
afterAll(() => lab.close());

const SEED = `${repoRoot}/examples/seed.ejs`;
const HAPROXY = `${repoRoot}/examples/haproxy.cfg.ejs`;
const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : undefined);
let seq = 0;
const file = (name: string) => `${lab.dir}/${++seq}-${name}`;

function listener(args: string[], name = `listener-${seq}`): ListenerProcess {
  return new ListenerProcess(lab, args, { name });
}

describe("exacast-listener on stdin", () => {
  it("EOF: renders what is pending, writes nothing on stdout but route refreshes, exits 0", async () => {
    onTestFailed(() => console.log(lab.report()));
    const out = file("out.txt");
    const state_ = file("state.json");
    const l = listener(["--template", `${SEED}:${out}`, "--state-file", state_, "--debounce", "10s"]);
    l.write(...fixture("exabgp-4.2-route-server-session.ndjson").slice(0, 8));
    l.end();
    expect(await l.exited).toEqual({ code: 0, signal: null });
    expect(read(out)).toBe(
      "service_80\n  listen 127.0.0.1:80\n  backend 10.255.255.1:80\n\n" +
        "service_443\n  listen 127.0.0.1:443\n  backend 10.255.255.1:443\n  backend 10.255.255.2:443\n  backend 2001:db8::123:443\n\n" +
        "service_8080\n  listen 127.0.0.1:8080\n  backend 10.255.255.3:8080\n  backend 10.255.255.4:8080\n\n",
    );
    expect(JSON.parse(read(state_)!)).toMatchObject({ ports: [80, 443, 8080], services: { 80: ["10.255.255.1/32"] } });
    // At start, with no snapshot, it asks every neighbor to send its routes again (a listener
    // ExaBGP started anew has missed them); nothing else ever reaches ExaBGP.
    expect(l.stdout.split("\n").filter(Boolean).every((x) => REFRESH_LINE.test(x))).toBe(true);
  });

  it("SIGTERM: the pending render is done, then exit 0", async () => {
    const out = file("out.txt");
    const l = listener(["--template", `${SEED}:${out}`, "--debounce", "1h"]);
    l.write(announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    // Lines are read as they come: once a later one is logged, the route is held.
    l.write(state("up"));
    await l.waitLog(/state=up/);
    l.signal("SIGTERM");
    expect(await l.exited).toEqual({ code: 0, signal: null });
    expect(read(out)).toBe("service_443\n  listen 127.0.0.1:443\n  backend 10.0.0.1:443\n\n");
  });

  it("bad lines are logged with their line number and skipped; the listener keeps going", async () => {
    const out = file("out.txt");
    const l = listener(["--template", `${SEED}:${out}`, "--debounce", "20ms"]);
    l.write("not json", '{"type": "update"}', "x".repeat(1_100_000), announce({ prefixes: ["10.0.0.7/32"], communities: [[12345, 22]] }));
    await waitFor(() => read(out)?.includes("backend 10.0.0.7:22"), { what: "render after bad lines" });
    expect(l.stderr).toMatch(/line_skipped.* line=1 reason=not_json/);
    expect(l.stderr).toMatch(/line_skipped.* line=2 reason=not_exabgp/);
    expect(l.stderr).toMatch(/line_skipped.* line=3 reason=too_long/);
    l.write(SHUTDOWN);
    l.end();
    expect((await l.exited).code).toBe(0);
  });

  it("SIGHUP reloads config and templates; a bad new config is refused and the old one keeps running", async () => {
    const out = file("out.txt");
    const cfg = file("listener.yaml");
    const tpl = file("t.ejs");
    writeFileSync(tpl, "v1 <%= ports.join(',') %>\n");
    writeFileSync(cfg, `debounce: 20ms\ntemplates: [{ source: ${tpl}, destination: ${out} }]\n`);
    const l = listener(["--config", cfg]);
    l.write(announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    await waitFor(() => read(out) === "v1 443\n", { what: "v1 render" });
    writeFileSync(cfg, "debounce: nope\n");
    l.signal("SIGHUP");
    await l.waitLog(/config_refused.*debounce: invalid duration/);
    writeFileSync(tpl, "v2 <%= ports.join(',') %\n");
    writeFileSync(cfg, `debounce: 20ms\ntemplates: [{ source: ${tpl}, destination: ${out} }]\n`);
    l.signal("SIGHUP");
    await l.waitLog(new RegExp(`config_refused.*${tpl.replace(/[.]/g, "\\.")}:1`));
    l.write(announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 80]] }));
    await waitFor(() => read(out) === "v1 80\n", { what: "old template still rendering" });
    writeFileSync(tpl, "v2 <%= ports.join(',') %>\n");
    l.signal("SIGHUP");
    await waitFor(() => read(out) === "v2 80\n", { what: "v2 render after reload" });
    l.end();
    expect((await l.exited).code).toBe(0);
  });

  it("config and template errors exit 2 with each problem on stderr", async () => {
    const cfg = file("bad.yaml");
    writeFileSync(cfg, "community_asn: 0\nmax_wait: forever\ntemplates: [{ source: /nonexistent.ejs }]\n");
    const l = listener(["--config", cfg]);
    expect((await l.exited).code).toBe(2);
    expect(l.stderr).toContain("community_asn: expected a community ASN");
    expect(l.stderr).toContain("max_wait: invalid duration");
    expect(l.stderr).toContain("templates[0].destination:");
    const tpl = file("syntax.ejs");
    writeFileSync(tpl, "ok\nok\n<% for (const p of ports) { %>\n<%= p + %>\n<% } %>\n");
    const t = listener(["--template", `${tpl}:${file("o")}`]);
    expect((await t.exited).code).toBe(2);
    expect(t.stderr).toContain(`exacast-listener: ${tpl}:4: Unexpected token`);
  });

  it("render: replays a capture and prints the template (the seed's example, exactly)", async () => {
    const capture = file("capture.ndjson");
    writeFileSync(
      capture,
      [
        state("up"),
        announce({ prefixes: ["2001:802::123/128"], communities: [[12345, 443]] }),
        announce({ prefixes: ["1.1.1.1/32"], communities: [[12345, 443], [12345, 8080]] }),
        announce({ prefixes: ["9.9.9.9/32"], communities: [[12345, 9]] }),
        withdraw(["9.9.9.9/32"]),
        eor(),
      ].join("\n") + "\n",
    );
    const l = listener(["render", "--input", capture, "--template", SEED]);
    expect((await l.exited).code).toBe(0);
    expect(l.stdout).toBe(
      "service_443\n  listen 127.0.0.1:443\n  backend 1.1.1.1:443\n  backend 2001:802::123:443\n\nservice_8080\n  listen 127.0.0.1:8080\n  backend 1.1.1.1:8080\n\n",
    );
    const upTo = listener(["render", "--input", `${repoRoot}/test/fixtures/exabgp-4.2-addpath-eor.ndjson`, "--template", SEED, "--until", "8"]);
    expect((await upTo.exited).code).toBe(0);
    expect(upTo.stdout).toContain("service_443\n  listen 127.0.0.1:443\n  backend 10.255.255.1:443\n  backend 2001:db8::1:443\n");
  });
});

describe("HAProxy: the example template, checked by haproxy -c before it is installed", () => {
  it("renders a config HAProxy accepts; a failing check or a broken template leaves it in place", async () => {
    onTestFailed(() => console.log(lab.report()));
    const dest = file("haproxy.cfg");
    const tpl = file("haproxy.cfg.ejs");
    const cfg = file("haproxy-listener.yaml");
    copyFileSync(HAPROXY, tpl);
    writeFileSync(
      cfg,
      [
        "debounce: 20ms",
        "templates:",
        `  - source: ${tpl}`,
        `    destination: ${dest}`,
        `    check: /usr/sbin/haproxy -c -f "$EXACAST_CANDIDATE"`,
        `    reload: /usr/sbin/haproxy -c -f "$EXACAST_DESTINATION"`,
        "    backup: true",
      ].join("\n") + "\n",
    );
    const l = listener(["--config", cfg], "haproxy-listener");
    l.write(
      state("up"),
      announce({ prefixes: ["10.0.0.1/32", "10.0.0.2/32"], communities: [[12345, 443], [12345, 80]] }),
      announce({ prefixes: ["2001:db8::1/128"], communities: [[12345, 443], [65535, 0]] }),
    );
    await waitFor(() => read(dest)?.includes("[2001:db8::1]:443 check weight 0"), { what: "haproxy.cfg rendered" });
    const good = read(dest)!;
    expect(good).toContain("server 10.0.0.1 10.0.0.1:80 check\n");
    await l.waitLog(/reloaded template=/);

    // A template that renders something HAProxy refuses: the check stops it.
    writeFileSync(tpl, readFileSync(HAPROXY, "utf8").replace("balance roundrobin", "balance <%= 'nonsense' %>"));
    l.signal("SIGHUP");
    await l.waitLog(/check_failed .*file="left as it was"/);
    expect(read(dest)).toBe(good);

    // A template that throws: nothing is written either, the next change retries.
    writeFileSync(tpl, readFileSync(HAPROXY, "utf8").replace("<% for (const port of ports) { -%>", "<% for (const port of ports) { throw new Error('boom at ' + port) -%>"));
    l.signal("SIGHUP");
    await l.waitLog(/template_failed .*boom at 80/);
    expect(read(dest)).toBe(good);

    copyFileSync(HAPROXY, tpl);
    l.signal("SIGHUP");
    l.write(withdraw(["10.0.0.2/32"]));
    await waitFor(() => !read(dest)!.includes("10.0.0.2"), { what: "render after the template is fixed" });
    expect(read(`${dest}.bak`)).toBe(good);
    l.end();
    expect((await l.exited).code).toBe(0);
  });
});
