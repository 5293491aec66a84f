// The same cause failing on every change is logged once, reminded with a
// count at most once a minute, and its end is logged as a recovery. On a
// fake clock, files in memory and a fake shell.

import { createLogger } from "@exacast/core";
import type { ProcessOutcome } from "@exacast/runtime";
import { FakeClock, MemoryFiles } from "@exacast/runtime";
import { describe, expect, it } from "vitest";
import type { TemplateSpec } from "../src/config.js";
import type { CommandRunner } from "../src/render-job.js";
import { RenderJob } from "../src/render-job.js";
import { templateData } from "../src/services.js";
import { compileTemplate } from "../src/template.js";

const MISSING: ProcessOutcome = { ok: false, status: "exit 127", exitCode: 127, timedOut: false, output: "sh: 1: /nonexistent/exacast-check: not found", durationMs: 1 };

function setup(over: Partial<TemplateSpec>, run: CommandRunner = async () => MISSING) {
  const text = "<% for (const p of ports) { if (p === 666) throw new Error('port 666 is cursed') %>port <%= p %>\n<% } %>";
  const logs: { level: string; event: string; [k: string]: unknown }[] = [];
  const log = createLogger({ program: "test", format: "json", level: "debug", write: (l) => void logs.push(JSON.parse(l)) });
  const spec: TemplateSpec = { name: "t", source: "/lb/t.ejs", destination: "/lb/out.cfg", mode: undefined, check: undefined, reload: undefined, timeoutMs: 5000, backup: false, vars: {}, ...over };
  const t = compileTemplate(text, spec.source);
  if (!t.ok) throw new Error(t.error);
  const clock = new FakeClock();
  const files = new MemoryFiles();
  const job = new RenderJob(spec, t.value, { run, files, clock, log });
  const data = (ports: number[]) =>
    templateData({ services: Object.fromEntries(ports.map((p) => [p, ["10.0.0.1/32"]])), backends: Object.fromEntries(ports.map((p) => [p, []])), ports });
  return { job, logs, data, files, at: (ms: number) => clock.advance(ms - clock.now()), errors: () => logs.filter((l) => l.level === "error") };
}

describe("render job failures in the log", () => {
  it("a template throwing on one port's data: one error for many changes, a reminder after a minute, a recovery", async () => {
    const s = setup({});
    expect((await s.job.render(s.data([80]))).result).toBe("written");
    for (let i = 0; i < 20; i++) {
      await s.at(i * 1000);
      expect((await s.job.render(s.data([80, 666, 1000 + i]))).result).toBe("template_error");
    }
    expect(s.errors()).toHaveLength(1);
    expect(s.errors()[0]).toMatchObject({ event: "template_failed", file: "left as it was", template: "t" });
    expect(s.files.text("/lb/out.cfg")).toBe("port 80\n");
    await s.at(61_000);
    await s.job.render(s.data([80, 666, 2000]));
    expect(s.errors()).toHaveLength(2);
    expect(s.errors()[1]).toMatchObject({ event: "template_failed", still_failing: true, failures: 21, since_ms: 61_000 });
    await s.at(62_000);
    expect((await s.job.render(s.data([80, 443]))).result).toBe("written");
    expect(s.logs.filter((l) => l.event === "recovered")).toEqual([expect.objectContaining({ level: "info", template: "t", failures: 21, after_ms: 62_000 })]);
  });

  it("a missing check command: one error however often it is tried; a new cause is logged at once", async () => {
    const s = setup({ check: 'exec /nonexistent/exacast-check "$EXACAST_CANDIDATE"' });
    await s.files.replaceFile("/lb/out.cfg", "old\n");
    for (let i = 0; i < 10; i++) expect((await s.job.render(s.data([80 + i]))).result).toBe("check_failed");
    expect(s.errors()).toHaveLength(1);
    expect(s.errors()[0]!.error).toMatch(/check exit 127: .*not found/);
    expect(s.files.text("/lb/out.cfg")).toBe("old\n");
    expect((await s.job.render(s.data([80, 666]))).result).toBe("template_error");
    expect(s.errors()).toHaveLength(2);
  });

  it("a full disk: one write_failed, then the recovery once it takes the file", async () => {
    const s = setup({});
    s.files.refuse.set("/lb/out.cfg", "ENOSPC: no space left on device, write");
    for (let i = 0; i < 5; i++) expect((await s.job.render(s.data([80 + i]))).result).toBe("write_failed");
    expect(s.errors().map((e) => e.event)).toEqual(["write_failed"]);
    s.files.refuse.clear();
    await s.at(5000);
    expect((await s.job.render(s.data([90]))).result).toBe("written");
    expect(s.logs.filter((l) => l.event === "recovered")).toEqual([expect.objectContaining({ failures: 5, after_ms: 5000 })]);
  });
});
