// Replacing a file on a real filesystem: the destination is either the old
// text or the new, never a part; nothing is left beside it on failure; two
// writers at once do not share a temporary file.

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { readIfExists, removeFile, replaceFile, setAside } from "../../src/atomic-file.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(`${tmpdir()}/exacast-atomic-`);
  dirs.push(d);
  return d;
};
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

describe("replaceFile", () => {
  it("writes the new text with the mode asked for, or the replaced file's", async () => {
    const dir = tmp();
    expect(await replaceFile(`${dir}/a`, "one\n")).toEqual({ ok: true });
    expect(statSync(`${dir}/a`).mode & 0o777).toBe(0o644);
    chmodSync(`${dir}/a`, 0o640);
    expect(await replaceFile(`${dir}/a`, "two\n", { backup: true })).toEqual({ ok: true });
    expect([readFileSync(`${dir}/a`, "utf8"), statSync(`${dir}/a`).mode & 0o777, readFileSync(`${dir}/a.bak`, "utf8")]).toEqual(["two\n", 0o640, "one\n"]);
    expect(await replaceFile(`${dir}/a`, "three\n", { mode: 0o600 })).toEqual({ ok: true });
    expect(statSync(`${dir}/a`).mode & 0o777).toBe(0o600);
    expect(leftovers(dir)).toEqual([]);
  });

  it("a refused check or a failed write leaves the old file and no temporary file", async () => {
    const dir = tmp();
    writeFileSync(`${dir}/a`, "old\n");
    let seen = "";
    const r = await replaceFile(`${dir}/a`, "new\n", {
      check: async (candidate) => {
        seen = readFileSync(candidate, "utf8");
        return "check exit 1: no";
      },
    });
    expect(r).toEqual({ ok: false, stage: "check", error: "check exit 1: no" });
    expect([seen, readFileSync(`${dir}/a`, "utf8"), leftovers(dir)]).toEqual(["new\n", "old\n", []]);
    expect(await replaceFile(`${dir}/missing/a`, "x")).toMatchObject({ ok: false, stage: "write", error: expect.stringContaining("ENOENT") });
    mkdirSync(`${dir}/ro`);
    chmodSync(`${dir}/ro`, 0o500);
    if (process.getuid?.() !== 0) expect(await replaceFile(`${dir}/ro/a`, "x")).toMatchObject({ ok: false, stage: "write" });
  });

  it("writers at once each get their own temporary file; the last rename wins whole", async () => {
    const dir = tmp();
    const texts = Array.from({ length: 20 }, (_, i) => `${i}`.repeat(10_000));
    const rs = await Promise.all(texts.map((t) => replaceFile(`${dir}/a`, t)));
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(texts).toContain(readFileSync(`${dir}/a`, "utf8"));
    expect(leftovers(dir)).toEqual([]);
  });

  it("readIfExists, removeFile, setAside", async () => {
    const dir = tmp();
    expect(await readIfExists(`${dir}/none`)).toBeUndefined();
    writeFileSync(`${dir}/a`, "x");
    const aside = await setAside(`${dir}/a`, "invalid");
    expect(aside).toMatch(/\/a\.invalid-\d+$/);
    expect([await readIfExists(`${dir}/a`), readFileSync(aside, "utf8")]).toEqual([undefined, "x"]);
    await removeFile(aside);
    expect(readdirSync(dir)).toEqual([]);
  });
});
