// Template files changed on disk, without SIGHUP: the watcher's debounce and
// its fall back to polling on a fake clock with a fake filesystem, and what a
// changed file does to the running setup (a broken edit keeps the old one).

import { createLogger, err, ok } from "@exacast/core";
import type { LogFields } from "@exacast/core";
import { FakeClock } from "@exacast/runtime";
import { describe, expect, it } from "vitest";
import { parseListenerConfig } from "../src/config.js";
import { compileTemplate } from "../src/template.js";
import { withChangedTemplate } from "../src/template-reload.js";
import type { WatchPort } from "../src/template-watch.js";
import { DEBOUNCE_MS, POLL_MS, TemplateWatch } from "../src/template-watch.js";

class FakeFs implements WatchPort {
  readonly sig = new Map<string, string>();
  readonly listeners = new Map<string, (file: string | null) => void>();
  errors: ((e: Error) => void)[] = [];
  refuse = false;
  watch(folder: string, event: (file: string | null) => void, error: (e: Error) => void) {
    if (this.refuse) throw new Error("ENOSPC: System limit for number of file watchers reached");
    this.listeners.set(folder, event);
    this.errors.push(error);
    return { close: () => this.listeners.delete(folder) };
  }
  async signature(file: string) {
    return this.sig.get(file);
  }
  edit(file: string, event = true) {
    this.sig.set(file, `${Math.random()}`);
    if (event) this.listeners.get(file.slice(0, file.lastIndexOf("/")))?.(file.slice(file.lastIndexOf("/") + 1));
  }
}

function watcher(mode: "auto" | "poll", fs = new FakeFs()) {
  const clock = new FakeClock();
  const logs: LogFields[] = [];
  const log = createLogger({ program: "t", format: "json", write: (l) => void logs.push(JSON.parse(l)) });
  const changed: string[] = [];
  const w = new TemplateWatch(mode, clock, log, (f) => changed.push(f), fs);
  return { w, fs, clock, changed, logs };
}

describe("template watch", () => {
  it("an editor's several writes are one change, DEBOUNCE_MS after the last; other files in the folder are not ours", async () => {
    const t = watcher("auto");
    await t.w.setFiles(["/etc/exacast/a.ejs", "/etc/exacast/b.ejs"]);
    expect(t.w.how).toBe("watch");
    t.fs.edit("/etc/exacast/a.ejs");
    await t.clock.advance(100);
    t.fs.edit("/etc/exacast/a.ejs");
    t.fs.edit("/etc/exacast/other.txt");
    await t.clock.advance(DEBOUNCE_MS - 1);
    expect(t.changed).toEqual([]);
    await t.clock.advance(1);
    expect(t.changed).toEqual(["/etc/exacast/a.ejs"]);
  });

  it("falls back to polling when the folder cannot be watched, or the watch fails later", async () => {
    const t = watcher("auto");
    t.fs.refuse = true;
    await t.w.setFiles(["/t/a.ejs"]);
    expect(t.w.how).toBe("poll");
    expect(t.logs).toEqual([expect.objectContaining({ event: "template_watch_polling", why: expect.stringContaining("ENOSPC") })]);
    t.fs.edit("/t/a.ejs", false); // no event: only a poll sees it
    await t.clock.advance(POLL_MS + DEBOUNCE_MS);
    expect(t.changed).toEqual(["/t/a.ejs"]);
    await t.clock.advance(10 * POLL_MS);
    expect(t.changed).toEqual(["/t/a.ejs"]); // once per change

    const later = watcher("auto");
    await later.w.setFiles(["/t/a.ejs"]);
    later.fs.errors[0]!(new Error("EPERM"));
    expect(later.w.how).toBe("poll");
    later.fs.edit("/t/a.ejs", false);
    await later.clock.advance(POLL_MS + DEBOUNCE_MS);
    expect(later.changed).toEqual(["/t/a.ejs"]);
  });

  it("poll: a file that went missing is not a change; its return is", async () => {
    const t = watcher("poll");
    t.fs.sig.set("/t/a.ejs", "1");
    await t.w.setFiles(["/t/a.ejs"]);
    t.fs.sig.delete("/t/a.ejs");
    await t.clock.advance(POLL_MS + DEBOUNCE_MS);
    expect(t.changed).toEqual([]);
    t.fs.sig.set("/t/a.ejs", "2");
    await t.clock.advance(POLL_MS + DEBOUNCE_MS);
    expect(t.changed).toEqual(["/t/a.ejs"]);
    t.w.close();
    t.fs.sig.set("/t/a.ejs", "3");
    await t.clock.advance(10 * POLL_MS);
    expect([t.changed.length, t.clock.timers]).toEqual([1, 0]);
  });
});

describe("a changed template file and the running setup", () => {
  const cfg = parseListenerConfig("templates:\n  - {source: /t/a.ejs, destination: /o1}\n  - {source: /t/a.ejs, destination: /o2, name: again}\n  - {source: /t/b.ejs, destination: /o3}\n", "c", "/");
  if (!cfg.ok) throw new Error(cfg.error.join());
  const compiled = (text: string, file: string) => {
    const r = compileTemplate(text, file);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const current = { config: cfg.value, templates: [compiled("v1", "/t/a.ejs"), compiled("v1", "/t/a.ejs"), compiled("b", "/t/b.ejs")] };

  it("the new text replaces every template using that file", async () => {
    const r = await withChangedTemplate(current, "/t/a.ejs", async (f) => ok(compiled("v2 <%= ports.length %>", f)));
    expect(r.kind).toBe("changed");
    if (r.kind === "changed") expect(r.setup.templates.map((t) => t.text)).toEqual(["v2 <%= ports.length %>", "v2 <%= ports.length %>", "b"]);
  });

  it("a broken edit is refused, naming where; the same text or a file no template uses changes nothing", async () => {
    expect(await withChangedTemplate(current, "/t/a.ejs", async () => compileTemplate("<%= oops(", "/t/a.ejs"))).toMatchObject({ kind: "refused", error: expect.stringMatching(/^\/t\/a\.ejs:1: /) });
    expect(await withChangedTemplate(current, "/t/a.ejs", async () => err("/t/a.ejs: cannot read template: ENOENT"))).toEqual({ kind: "refused", error: "/t/a.ejs: cannot read template: ENOENT" });
    expect(await withChangedTemplate(current, "/t/a.ejs", async (f) => ok(compiled("v1", f)))).toEqual({ kind: "unchanged" });
    expect(await withChangedTemplate(current, "/t/z.ejs", async (f) => ok(compiled("z", f)))).toEqual({ kind: "unchanged" });
  });
});
