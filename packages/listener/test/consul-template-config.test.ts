// consul-template's forms as the listener reads them: --template SRC:DEST:CMD
// split at the first two colons, --once and --dry, and the config keys wait,
// user, group, the top-level reload, exec: and template_watch.

import { describe, expect, it } from "vitest";
import { parseCommand } from "../src/args.js";
import { parseListenerConfig } from "../src/config.js";
import { resolveOwner } from "../src/owner.js";
import { parseTemplateFlag } from "../src/template-spec.js";

const bad = (argv: string[]) => {
  const r = parseCommand(argv, "/w");
  return r.ok ? [] : r.error;
};

describe("--template SRC:DEST[:CMD]", () => {
  it("splits at the first two colons; CMD keeps its own colons", () => {
    expect(parseTemplateFlag("a.ejs:/etc/out")).toEqual({ ok: true, value: { source: "a.ejs", destination: "/etc/out" } });
    expect(parseTemplateFlag("a.ejs:/etc/out:systemctl reload haproxy")).toEqual({
      ok: true,
      value: { source: "a.ejs", destination: "/etc/out", reload: "systemctl reload haproxy" },
    });
    expect(parseTemplateFlag("a.ejs:out:logger -t lb a:b:c")).toMatchObject({ ok: true, value: { destination: "out", reload: "logger -t lb a:b:c" } });
  });

  it("an empty part is refused, naming which", () => {
    expect(parseTemplateFlag("a.ejs")).toMatchObject({ ok: false, error: expect.stringContaining("DEST between the first and second colon is empty") });
    expect(parseTemplateFlag(":out")).toMatchObject({ ok: false, error: expect.stringContaining("SRC before the first colon is empty") });
    expect(parseTemplateFlag("a::cmd")).toMatchObject({ ok: false, error: expect.stringContaining("DEST") });
    expect(parseTemplateFlag("a:b:")).toMatchObject({ ok: false, error: expect.stringContaining("CMD after the second colon is empty") });
  });

  it("the command line: CMD is that template's reload, and wins over --reload; paths made absolute", () => {
    const r = parseCommand(["--template", "t.ejs:out:kill -HUP 1", "--template", "u.ejs:/o2", "--reload", "true"], "/srv");
    expect(r.ok && r.value.kind === "run" && r.value.overrides.templates).toEqual([
      { source: "/srv/t.ejs", destination: "/srv/out", reload: "kill -HUP 1" },
      { source: "/srv/u.ejs", destination: "/o2" },
    ]);
    if (!r.ok || r.value.kind !== "run") throw new Error("expected a run");
    const c = parseListenerConfig("", "command line", "/srv", r.value.overrides);
    expect(c.ok && c.value.templates.map((t) => t.reload)).toEqual(["kill -HUP 1", "true"]);
    // Before: "t:out:cmd" was taken as a file named "out:cmd" and the reload never ran.
    expect(c.ok && c.value.templates[0]!.destination).toBe("/srv/out");
  });

  it("--once and --dry are the run's mode; render refuses them", () => {
    const r = parseCommand(["--template", "t:o", "--once", "--dry"], "/w");
    expect(r.ok && r.value.kind === "run" && r.value.mode).toEqual({ once: true, dryRun: true });
    const plain = parseCommand(["--template", "t:o"], "/w");
    expect(plain.ok && plain.value.kind === "run" && plain.value.mode).toEqual({ once: false, dryRun: false });
    expect(bad(["render", "--input", "c", "--template", "t", "--dry"]).join("\n")).toContain("--dry: render prints its template");
    expect(bad(["--template", "t:o:"]).join("\n")).toContain("CMD after the second colon is empty");
  });
});

describe("config keys", () => {
  const parse = (yaml: string) => parseListenerConfig(yaml, "l.yaml", "/cfg");

  it("wait: { min, max }, or consul-template's \"min:max\"; max defaults to 4 × min", () => {
    const r = parse(
      "templates:\n  - {source: a, destination: o1, wait: {min: 2s, max: 10s}}\n  - {source: b, destination: o2, wait: 500ms}\n  - {source: c, destination: o3, wait: '1s:3s'}\n  - {source: d, destination: o4}\n",
    );
    if (!r.ok) throw new Error(r.error.join("\n"));
    expect(r.value.templates.map((t) => t.wait)).toEqual([{ minMs: 2000, maxMs: 10_000 }, { minMs: 500, maxMs: 2000 }, { minMs: 1000, maxMs: 3000 }, undefined]);
  });

  it("a wait that makes no sense is refused by its path", () => {
    const r = parse("templates:\n  - {source: a, destination: o1, wait: {min: 5s, max: 1s}}\n  - {source: b, destination: o2, wait: {min: 0s}}\n  - {source: c, destination: o3, wait: '1s:2s:3s'}\n");
    expect(r.ok).toBe(false);
    const text = r.ok ? "" : r.error.join("\n");
    expect(text).toContain("templates[0].wait.max: expected at least min (5s)");
    expect(text).toContain("templates[1].wait.min: expected more than 0");
    expect(text).toContain('templates[2].wait: expected { min, max } or "MIN:MAX"');
  });

  it("the top-level reload, exec: with consul-template's names, template_watch", () => {
    const r = parse("reload: systemctl reload haproxy\nexec: { command: [haproxy, -f, /etc/haproxy.cfg], reload_signal: usr2, kill_timeout: 5s }\ntemplate_watch: poll\n");
    if (!r.ok) throw new Error(r.error.join("\n"));
    expect(r.value.reload).toBe("systemctl reload haproxy");
    expect(r.value.exec).toEqual({ command: ["haproxy", "-f", "/etc/haproxy.cfg"], shell: false, reloadSignal: "SIGUSR2", killSignal: "SIGTERM", killTimeoutMs: 5000 });
    expect(r.value.templateWatch).toBe("poll");
    const restart = parse("exec: { command: 'nginx -g \"daemon off;\"', reload_signal: null }\n");
    expect(restart.ok && restart.value.exec).toMatchObject({ shell: true, reloadSignal: undefined });
    const none = parse("");
    expect(none.ok && [none.value.reload, none.value.exec, none.value.templateWatch]).toEqual([undefined, undefined, "auto"]);
  });

  it("bad exec: and template_watch values name what is wrong", () => {
    const r = parse("exec: { command: [], reload_signal: SIGKILL }\ntemplate_watch: inotify\n");
    const text = r.ok ? "" : r.error.join("\n");
    expect(text).toContain("exec.command:");
    expect(text).toContain("exec.reload_signal: expected a signal name");
    expect(text).toContain("template_watch:");
  });

  it("user and group: names kept for the lookup, numbers taken as they are", async () => {
    const r = parse("templates:\n  - {source: a, destination: o, user: haproxy, group: 65534}\n  - {source: b, destination: p, user: 'bad name'}\n");
    expect(r.ok ? "" : r.error.join("\n")).toContain("templates[1].user: expected a user or group name, or a number");
    const ok = parse("templates: [{source: a, destination: o, user: haproxy, group: 65534}]\n");
    expect(ok.ok && ok.value.templates[0]).toMatchObject({ user: "haproxy", group: "65534" });
    const lookup = async (db: string, name: string) => (db === "passwd" && name === "haproxy" ? 108 : undefined);
    expect(await resolveOwner("haproxy", "65534", lookup, "t")).toEqual({ ok: true, value: { uid: 108, gid: 65534 } });
    expect(await resolveOwner(undefined, "0", lookup, "t")).toEqual({ ok: true, value: { uid: -1, gid: 0 } });
    expect(await resolveOwner(undefined, undefined, lookup, "t")).toEqual({ ok: true, value: undefined });
    expect(await resolveOwner("nobody-here", "staff", lookup, "l.yaml: templates[0]")).toEqual({
      ok: false,
      error: ['l.yaml: templates[0].user: no user named "nobody-here" on this host', 'l.yaml: templates[0].group: no group named "staff" on this host'],
    });
  });
});
