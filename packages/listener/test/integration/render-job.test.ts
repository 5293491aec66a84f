// The install pipeline on real files and real shell commands: every failure
// leaves the destination as it was.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import { diskFiles, realClock } from "@exacast/runtime";
import type { TemplateSpec } from "../../src/config.js";
import { RenderJob, runShell } from "../../src/render-job.js";
import type { ServicesMap } from "../../src/services.js";
import { templateData } from "../../src/services.js";
import { compileTemplate } from "../../src/template.js";

const logs: string[] = [];
const log = createLogger({ program: "test", format: "json", level: "debug", write: (l) => void logs.push(l) });

function mapOf(ports: Record<number, string[]>): ServicesMap {
  const ps = Object.keys(ports).map(Number);
  return { services: ports, backends: Object.fromEntries(ps.map((p) => [p, []])), ports: ps };
}

function job(dir: string, over: Partial<TemplateSpec> = {}, text = "<% for (const p of ports) { %>port <%= p %>: <%= services[p].join(' ') %>\n<% } %>") {
  const spec: TemplateSpec = {
    name: "t",
    source: `${dir}/t.ejs`,
    destination: `${dir}/out.cfg`,
    mode: undefined,
    check: undefined,
    reload: undefined,
    timeoutMs: 5000,
    backup: false,
    vars: {},
    ...over,
  };
  const t = compileTemplate(text, spec.source);
  if (!t.ok) throw new Error(t.error);
  return new RenderJob(spec, t.value, { run: runShell, files: diskFiles, clock: realClock, log });
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(`${tmpdir()}/exacast-job-`);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

describe("render job", () => {
  it("writes the file, then leaves it alone while the text is the same", async () => {
    const dir = tmp();
    const j = job(dir, { reload: `echo reloaded >> ${dir}/reloads` });
    expect((await j.render(templateData(mapOf({ 443: ["10.0.0.1/32"] })))).result).toBe("written");
    expect(readFileSync(`${dir}/out.cfg`, "utf8")).toBe("port 443: 10.0.0.1/32\n");
    expect(statSync(`${dir}/out.cfg`).mode & 0o777).toBe(0o644);
    const mtime = statSync(`${dir}/out.cfg`).mtimeMs;
    expect((await j.render(templateData(mapOf({ 443: ["10.0.0.1/32"] })))).result).toBe("unchanged");
    expect(statSync(`${dir}/out.cfg`).mtimeMs).toBe(mtime);
    expect(readFileSync(`${dir}/reloads`, "utf8")).toBe("reloaded\n");
    expect(leftovers(dir)).toEqual([]);
  });

  it("the check sees the candidate in $EXACAST_CANDIDATE beside the destination; a failed check leaves the old file", async () => {
    const dir = tmp();
    writeFileSync(`${dir}/out.cfg`, "old\n");
    const check = `echo "checking $EXACAST_CANDIDATE for $EXACAST_DESTINATION" > ${dir}/seen; grep -q 10.0.0.1 "$EXACAST_CANDIDATE"`;
    const j = job(dir, { check, reload: `touch ${dir}/reloaded` });
    const r = await j.render(templateData(mapOf({ 443: ["10.0.0.2/32"] })));
    expect(r.result).toBe("check_failed");
    expect(r.error).toContain("check exit 1");
    expect(readFileSync(`${dir}/out.cfg`, "utf8")).toBe("old\n");
    expect(readFileSync(`${dir}/seen`, "utf8")).toMatch(new RegExp(`^checking ${dir}/\\.out\\.cfg\\.exacast-\\d+-\\d+\\.tmp for ${dir}/out.cfg`));
    expect(existsSync(`${dir}/reloaded`)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    expect((await j.render(templateData(mapOf({ 443: ["10.0.0.1/32"] })))).result).toBe("written");
    expect(existsSync(`${dir}/reloaded`)).toBe(true);
  });

  it("a template that throws leaves the old file and is logged with the template's name", async () => {
    const dir = tmp();
    writeFileSync(`${dir}/out.cfg`, "old\n");
    const j = job(dir, { name: "broken" }, "<%= services[80].join() %>");
    const r = await j.render(templateData(mapOf({ 443: ["10.0.0.1/32"] })));
    expect(r.result).toBe("template_error");
    expect(readFileSync(`${dir}/out.cfg`, "utf8")).toBe("old\n");
    const line = logs.map((l) => JSON.parse(l) as Record<string, string>).find((l) => l.template === "broken");
    expect(line).toMatchObject({ level: "error", event: "template_failed", file: "left as it was" });
    expect(line!.error).toMatch(/t\.ejs:1: Cannot read properties of undefined/);
  });

  it("a failed reload puts the previous text back; a first install is removed", async () => {
    const dir = tmp();
    writeFileSync(`${dir}/out.cfg`, "old\n");
    const j = job(dir, { reload: "echo no such service >&2; exit 3" });
    const r = await j.render(templateData(mapOf({ 443: ["10.0.0.1/32"] })));
    expect(r).toMatchObject({ result: "reload_failed", error: "reload exit 3: no such service" });
    expect(readFileSync(`${dir}/out.cfg`, "utf8")).toBe("old\n");
    const fresh = tmp();
    const k = job(fresh, { reload: "exit 1" });
    expect((await k.render(templateData(mapOf({ 443: ["10.0.0.1/32"] })))).result).toBe("reload_failed");
    expect(existsSync(`${fresh}/out.cfg`)).toBe(false);
  });

  it("a write that cannot happen (no such folder) is a write failure, not a crash", async () => {
    const dir = tmp();
    const j = job(dir, { destination: `${dir}/missing/out.cfg` });
    const r = await j.render(templateData(mapOf({ 443: ["10.0.0.1/32"] })));
    expect(r.result).toBe("write_failed");
    expect(r.error).toContain("ENOENT");
  });

  it("mode, and backup keeps the previous file as .bak", async () => {
    const dir = tmp();
    writeFileSync(`${dir}/out.cfg`, "old\n");
    const j = job(dir, { mode: 0o640, backup: true });
    expect((await j.render(templateData(mapOf({ 80: ["10.0.0.1/32"] })))).result).toBe("written");
    expect(statSync(`${dir}/out.cfg`).mode & 0o777).toBe(0o640);
    expect(readFileSync(`${dir}/out.cfg.bak`, "utf8")).toBe("old\n");
  });

  it("a check that hangs is killed at the timeout, with everything it started", async () => {
    const dir = tmp();
    const j = job(dir, { check: `sleep 30 & echo $! > ${dir}/child; sleep 30`, timeoutMs: 300 });
    const t0 = Date.now();
    const r = await j.render(templateData(mapOf({ 80: ["10.0.0.1/32"] })));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r).toMatchObject({ result: "check_failed", error: "check timed out after 300 ms" });
    // The background sleep is gone too (or a zombie waiting for init to reap it).
    const child = Number(readFileSync(`${dir}/child`, "utf8"));
    let state = "";
    try {
      state = readFileSync(`/proc/${child}/stat`, "utf8").split(") ")[1]!.slice(0, 1);
    } catch {
      state = "gone";
    }
    expect(["gone", "Z"]).toContain(state);
    expect(existsSync(`${dir}/out.cfg`)).toBe(false);
  });
});
