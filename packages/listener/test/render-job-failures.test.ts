// The same cause failing on every change is logged once, reminded with a
// count at most once a minute, and its end is logged as a recovery.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import { runCommand } from "../src/command.js";
import type { TemplateSpec } from "../src/config.js";
import { RenderJob } from "../src/render-job.js";
import { templateData } from "../src/services.js";
import { compileTemplate } from "../src/template.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(over: Partial<TemplateSpec>, text = "<% for (const p of ports) { if (p === 666) throw new Error('port 666 is cursed') %>port <%= p %>\n<% } %>") {
  const dir = mkdtempSync(`${tmpdir()}/exacast-jobfail-`);
  dirs.push(dir);
  const logs: { level: string; event: string; [k: string]: unknown }[] = [];
  const log = createLogger({ program: "test", format: "json", level: "debug", write: (l) => void logs.push(JSON.parse(l)) });
  const spec: TemplateSpec = { name: "t", source: `${dir}/t.ejs`, destination: `${dir}/out.cfg`, mode: undefined, check: undefined, reload: undefined, timeoutMs: 5000, backup: false, vars: {}, ...over };
  const t = compileTemplate(text, spec.source);
  if (!t.ok) throw new Error(t.error);
  let now = 0;
  const job = new RenderJob(spec, t.value, runCommand, log, () => now);
  const data = (ports: number[]) =>
    templateData({ services: Object.fromEntries(ports.map((p) => [p, ["10.0.0.1/32"]])), backends: Object.fromEntries(ports.map((p) => [p, []])), ports });
  return { dir, job, logs, data, at: (t: number) => (now = t), errors: () => logs.filter((l) => l.level === "error") };
}

describe("render job failures in the log", () => {
  it("a template throwing on one port's data: one error for many changes, a reminder after a minute, a recovery", async () => {
    const s = setup({});
    expect((await s.job.render(s.data([80]))).result).toBe("written");
    for (let i = 0; i < 20; i++) {
      s.at(i * 1000);
      expect((await s.job.render(s.data([80, 666, 1000 + i]))).result).toBe("template_error");
    }
    expect(s.errors()).toHaveLength(1);
    expect(s.errors()[0]).toMatchObject({ event: "template_failed", file: "left as it was", template: "t" });
    s.at(61_000);
    await s.job.render(s.data([80, 666, 2000]));
    expect(s.errors()).toHaveLength(2);
    expect(s.errors()[1]).toMatchObject({ event: "template_failed", still_failing: true, failures: 21, since_ms: 61_000 });
    s.at(62_000);
    expect((await s.job.render(s.data([80, 443]))).result).toBe("written");
    expect(s.logs.filter((l) => l.event === "recovered")).toEqual([expect.objectContaining({ level: "info", template: "t", failures: 21, after_ms: 62_000 })]);
  });

  it("a missing check command: one error however often it is tried; a new cause is logged at once", async () => {
    const s = setup({ check: "exec /nonexistent/exacast-check \"$EXACAST_CANDIDATE\"" });
    writeFileSync(`${s.dir}/out.cfg`, "old\n");
    for (let i = 0; i < 10; i++) expect((await s.job.render(s.data([80 + i]))).result).toBe("check_failed");
    expect(s.errors()).toHaveLength(1);
    expect(s.errors()[0]!.error).toMatch(/check exit 127: .*not found/);
    expect((await s.job.render(s.data([80, 666]))).result).toBe("template_error");
    expect(s.errors()).toHaveLength(2);
  });
});
