// Template files changed on a real filesystem: fs.watch sees an edit in
// place and an editor's save by rename; polling sees them too; a folder
// missing at start is made by the first write.

import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createLogger } from "@exacast/core";
import { diskFiles, realClock } from "@exacast/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { creatingFolders } from "../../src/folders.js";
import { TemplateWatch } from "../../src/template-watch.js";

const dirs: string[] = [];
const watches: TemplateWatch[] = [];
afterAll(() => {
  watches.forEach((w) => w.close());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const tmp = () => {
  const d = mkdtempSync(`${tmpdir()}/exacast-watch-`);
  dirs.push(d);
  return d;
};
const log = createLogger({ program: "t", level: "error", write: () => {} });

/** Waits, bounded, for `probe` to hold (vitest's poll; the message names what did not happen). */
const until = (probe: () => boolean, what: string, ms = 5000): Promise<void> =>
  expect.poll(probe, { timeout: ms, message: `not reached within ${ms} ms: ${what}` }).toBe(true) as Promise<void>;

describe.each(["auto", "poll"] as const)("template_watch: %s", (mode) => {
  it("an edit in place and a save by rename are both seen, once each", async () => {
    const dir = tmp();
    writeFileSync(`${dir}/a.ejs`, "v1");
    const seen: string[] = [];
    const w = new TemplateWatch(mode, realClock, log, (f) => seen.push(readFileSync(f, "utf8")));
    watches.push(w);
    await w.setFiles([`${dir}/a.ejs`]);
    expect(w.how).toBe(mode === "auto" ? "watch" : "poll");
    writeFileSync(`${dir}/a.ejs`, "v2");
    await until(() => seen.includes("v2"), "edit in place");
    writeFileSync(`${dir}/.a.ejs.swp`, "v3");
    renameSync(`${dir}/.a.ejs.swp`, `${dir}/a.ejs`);
    await until(() => seen.includes("v3"), "save by rename");
    // A later edit is seen after the earlier ones' events are all in: v3 was seen once.
    writeFileSync(`${dir}/a.ejs`, "v4 longer");
    await until(() => seen.includes("v4 longer"), "a later edit");
    expect(seen.filter((s) => s === "v3")).toHaveLength(1);
  });
});

describe("missing destination folders", () => {
  it("are made by the first write, mode 0755", async () => {
    const dir = tmp();
    const made: string[] = [];
    const files = creatingFolders(diskFiles, (f) => made.push(f));
    expect(await files.replaceFile(`${dir}/x/y/out.cfg`, "a\n")).toEqual({ ok: true });
    expect(readFileSync(`${dir}/x/y/out.cfg`, "utf8")).toBe("a\n");
    expect(made).toEqual([`${dir}/x`]);
    expect(statSync(`${dir}/x/y`).mode & 0o777).toBe(0o755);
    expect(await files.replaceFile(`${dir}/x/y/out.cfg`, "b\n")).toEqual({ ok: true });
    expect(made).toHaveLength(1);
  });
});
