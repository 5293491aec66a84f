import { describe, expect, it } from "vitest";
import { parseCommand } from "../src/args.js";
import { parseListenerConfig } from "../src/config.js";

describe("listener config", () => {
  it("has the contract's defaults", () => {
    const r = parseListenerConfig("", "x.yaml", "/etc/exacast");
    expect(r).toEqual({
      ok: true,
      value: {
        communityAsn: 12345,
        debounceMs: 200,
        maxWaitMs: 2000,
        startupWaitMs: 30_000,
        staleGraceMs: 120_000,
        maxRoutes: 1_000_000,
        stateFile: undefined,
        snapshotFile: undefined,
        renderTimeoutMs: 10_000,
        renderHeapMb: 1024,
        http: undefined,
        templates: [],
        reload: undefined,
        exec: undefined,
        templateWatch: "auto",
      },
    });
  });

  it("reads every key; relative paths are relative to the config's folder", () => {
    const yaml = `
community_asn: 65000
debounce: 50ms
max_wait: 1s
stale_grace: 30
max_routes: 10
state_file: state.json
http: { listen: "127.0.0.1:9180" }
templates:
  - source: haproxy.cfg.ejs
    destination: /etc/haproxy/haproxy.cfg
    mode: "0640"
    check: haproxy -c -f "$EXACAST_CANDIDATE"
    reload: systemctl reload haproxy
    timeout: 5s
    backup: true
  - { name: other, source: /t/a.ejs, destination: out/a.txt, mode: 0600 }
`;
    const r = parseListenerConfig(yaml, "l.yaml", "/etc/exacast");
    if (!r.ok) throw new Error(r.error.join("\n"));
    expect(r.value).toMatchObject({
      communityAsn: 65000,
      debounceMs: 50,
      maxWaitMs: 1000,
      staleGraceMs: 30_000,
      maxRoutes: 10,
      stateFile: "/etc/exacast/state.json",
      snapshotFile: "/etc/exacast/state.rib.json",
      http: { listen: { host: "127.0.0.1", port: 9180 }, token: null },
    });
    expect(parseListenerConfig("snapshot_file: rib.json\nrender_timeout: 2s\nrender_heap_mb: 64", "l.yaml", "/e")).toMatchObject({
      ok: true,
      value: { snapshotFile: "/e/rib.json", renderTimeoutMs: 2000, renderHeapMb: 64 },
    });
    expect(parseListenerConfig("state_file: s\nsnapshot_file: false", "l.yaml", "/e")).toMatchObject({ ok: true, value: { stateFile: "/e/s", snapshotFile: undefined } });
    expect(r.value.templates).toEqual([
      {
        name: "haproxy.cfg.ejs",
        source: "/etc/exacast/haproxy.cfg.ejs",
        destination: "/etc/haproxy/haproxy.cfg",
        mode: 0o640,
        check: 'haproxy -c -f "$EXACAST_CANDIDATE"',
        reload: "systemctl reload haproxy",
        timeoutMs: 5000,
        backup: true,
        vars: {},
      },
      { name: "other", source: "/t/a.ejs", destination: "/etc/exacast/out/a.txt", mode: 0o600, check: undefined, reload: undefined, timeoutMs: 30_000, backup: false, vars: {} },
    ]);
  });

  it("lists every problem by its path", () => {
    const yaml = `
community_asn: 65535
debounce: soon
max_routes: 0
bogus: 1
http: { listen: "nowhere" }
templates:
  - { source: a.ejs, destination: /x, mode: "999", timeout: -1 }
  - { destination: /y }
`;
    const r = parseListenerConfig(yaml, "bad.yaml", "/");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.error.join("\n");
    expect(text).toContain("bad.yaml: community_asn: expected a community ASN 1..65534");
    expect(text).toContain("bad.yaml: debounce: invalid duration");
    expect(text).toContain("bad.yaml: max_routes: expected at least 1");
    expect(text).toMatch(/bad\.yaml: \(root\): Unrecognized key.*bogus/);
    expect(text).toContain('bad.yaml: http.listen: expected host:port, got "nowhere"');
    expect(text).toContain("bad.yaml: templates[0].mode: expected an octal file mode");
    expect(text).toContain("bad.yaml: templates[0].timeout: invalid duration");
    expect(text).toContain("bad.yaml: templates[1].source:");
  });

  it("reads a template's vars; names must be identifiers, values scalars", () => {
    const good = parseListenerConfig("templates: [{source: a, destination: b, vars: {bind: 127.0.0.1, port: 8404, on: true}}]\n", "v.yaml", "/");
    expect(good.ok && good.value.templates[0]!.vars).toEqual({ bind: "127.0.0.1", port: 8404, on: true });
    const none = parseListenerConfig("templates: [{source: a, destination: b}]\n", "v.yaml", "/");
    expect(none.ok && none.value.templates[0]!.vars).toEqual({});
    const bad = parseListenerConfig("templates: [{source: a, destination: b, vars: {'bad-name': 1, deep: {x: 1}}}]\n", "v.yaml", "/");
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.join("\n")).toMatch(/templates\[0\]\.vars\.bad-name: key expected a name of letters, digits and _/);
      expect(bad.error.join("\n")).toMatch(/templates\[0\]\.vars\.deep/);
    }
  });

  it("max_wait is never shorter than debounce", () => {
    const r = parseListenerConfig("debounce: 5s\n", "x.yaml", "/");
    expect(r.ok && r.value.maxWaitMs).toBe(5000);
  });

  it("refuses two templates with one name or one destination", () => {
    const r = parseListenerConfig("templates:\n  - {source: /a/t.ejs, destination: /o1}\n  - {source: /b/t.ejs, destination: /o1}\n", "d.yaml", "/");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.join("\n")).toContain('templates[1].name: "t.ejs" is used twice');
      expect(r.error.join("\n")).toContain("templates[1].destination: /o1 is written by another template");
    }
  });

  it("flags override file keys; --reload applies to every template", () => {
    const r = parseListenerConfig("community_asn: 1\ndebounce: 1s\ntemplates: [{source: a, destination: b, reload: old}]\n", "f.yaml", "/cfg", {
      community_asn: 2,
      debounce: "10ms",
      reload: "new",
    });
    if (!r.ok) throw new Error(r.error.join("\n"));
    expect(r.value).toMatchObject({ communityAsn: 2, debounceMs: 10 });
    expect(r.value.templates[0]).toMatchObject({ source: "/cfg/a", reload: "new" });
  });
});

describe("command line", () => {
  it("the simple case: flags only, paths relative to the working directory", () => {
    const r = parseCommand(["--template", "t.ejs:/etc/out.cfg", "--template", "/abs/u.ejs:rel/out", "--reload", "kill -HUP 1", "--asn", "65000", "--debounce", "1s", "--state-file", "s.json"], "/srv/app");
    expect(r).toEqual({
      ok: true,
      value: {
        kind: "run",
        config: undefined,
        logFormat: "text",
        logLevel: "info",
        mode: { once: false, dryRun: false },
        overrides: {
          community_asn: 65000,
          debounce: "1s",
          state_file: "/srv/app/s.json",
          reload: "kill -HUP 1",
          templates: [
            { source: "/srv/app/t.ejs", destination: "/etc/out.cfg" },
            { source: "/abs/u.ejs", destination: "/srv/app/rel/out" },
          ],
        },
      },
    });
  });

  it("the render subcommand", () => {
    expect(parseCommand(["render", "--input", "c.ndjson", "--template", "t.ejs", "--asn", "7", "--until", "8"], "/w")).toEqual({
      ok: true,
      value: { kind: "render", input: "/w/c.ndjson", template: "/w/t.ejs", asn: 7, until: 8, vars: {} },
    });
    expect(parseCommand(["render", "--input", "c", "--template", "t", "--var", "bind=127.0.0.1", "--var", "x=a=b"], "/w")).toMatchObject({
      ok: true,
      value: { vars: { bind: "127.0.0.1", x: "a=b" } },
    });
    expect(parseCommand(["render", "--input", "c", "--template", "t", "--var", "no-equals"], "/w")).toEqual({
      ok: false,
      error: ['--var: expected NAME=VALUE, got "no-equals"'],
    });
  });

  it("names the flag that is wrong", () => {
    const bad = (argv: string[]) => {
      const r = parseCommand(argv, "/");
      return r.ok ? "" : r.error.join("\n");
    };
    expect(bad(["--asn", "70000", "--template", "a:b"])).toContain("--asn: expected a community ASN 1..65534");
    expect(bad(["--debounce", "fast", "--template", "a:b"])).toContain("--debounce: invalid duration");
    expect(bad(["--template", "nocolon"])).toContain('--template: DEST between the first and second colon is empty, got "nocolon" (expected SRC:DEST or SRC:DEST:CMD)');
    expect(bad(["--template", "a:b", "--log-format", "xml"])).toContain("--log-format: expected text or json");
    expect(bad(["--bogus"])).toContain("Unknown option '--bogus'");
    expect(bad([])).toContain("nothing to do");
    expect(bad(["render", "--template", "t"])).toContain("render: --input CAPTURE.ndjson is required");
    expect(bad(["frobnicate"])).toContain('unexpected argument "frobnicate"');
  });
});
