// The diff --dry shows is a real unified diff: applied to the old text it
// gives the new one, for any pair of texts (property-tested), and it is the
// shortest one up to MAX_EDITS.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../src/text-diff.js";

/** Apply a unified diff as patch(1) does, strictly: every context and removed line must match. */
function apply(before: string, diff: string): string {
  if (diff === "") return before;
  const old = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const noEolOld = before !== "" && !before.endsWith("\n");
  const out: string[] = [];
  let at = 0;
  let noEolNew = false;
  const lines = diff.split("\n").slice(2, -1);
  let last = "";
  for (const line of lines) {
    const hunk = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[2]) === 0 ? Number(hunk[1]) : Number(hunk[1]) - 1;
      while (at < start) out.push(old[at++]!);
      continue;
    }
    if (line === "\\ No newline at end of file") {
      if (last !== "-") noEolNew = true;
      continue;
    }
    last = line[0]!;
    const text = line.slice(1);
    if (line[0] === " " || line[0] === "-") {
      if (old[at] !== text) throw new Error(`line ${at + 1}: expected ${JSON.stringify(text)}, found ${JSON.stringify(old[at])}`);
      at++;
    }
    if (line[0] === " " || line[0] === "+") out.push(text);
    if (line[0] === " " && at === old.length && noEolOld) noEolNew = true;
  }
  while (at < old.length) {
    out.push(old[at++]!);
    noEolNew = noEolOld;
  }
  return out.length === 0 ? "" : out.join("\n") + (noEolNew ? "" : "\n");
}

const text = fc.array(fc.constantFrom("a", "b", "c", "listen 80", ""), { maxLength: 30 }).chain((lines) => fc.boolean().map((eol) => (lines.length === 0 ? "" : lines.join("\n") + (eol ? "\n" : ""))));

describe("unified diff", () => {
  it("applied to the old text gives the new one", () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(apply(a, unifiedDiff(a, b, "f").text)).toBe(b);
      }),
      { numRuns: 500 },
    );
  });

  it("equal texts: no diff; counts are lines added and removed", () => {
    expect(unifiedDiff("x\n", "x\n", "f")).toEqual({ text: "", added: 0, removed: 0 });
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const b = [...lines];
    b[2] = "changed";
    b.push("new");
    const d = unifiedDiff(lines.join("\n") + "\n", b.join("\n") + "\n", "/etc/x.cfg");
    expect(d).toEqual({
      added: 2,
      removed: 1,
      text:
        "--- /etc/x.cfg\n+++ /etc/x.cfg\n@@ -1,6 +1,6 @@\n line 0\n line 1\n-line 2\n+changed\n line 3\n line 4\n line 5\n" +
        "@@ -18,3 +18,4 @@\n line 17\n line 18\n line 19\n+new\n",
    });
  });

  it("a new file is a diff from /dev/null; a missing final newline is said", () => {
    expect(unifiedDiff(undefined, "a\n", "f").text).toBe("--- /dev/null\n+++ f\n@@ -0,0 +1,1 @@\n+a\n");
    expect(unifiedDiff("a\n", "a", "f").text).toBe("--- f\n+++ f\n@@ -1,1 +1,1 @@\n-a\n+a\n\\ No newline at end of file\n");
  });

  it("a big file entirely changed stays fast and correct (past MAX_EDITS: removed, then added)", () => {
    const a = Array.from({ length: 50_000 }, (_, i) => `server s${i} 10.0.${i >> 8}.${i & 255}:80`).join("\n") + "\n";
    const b = a.replace(/:80/g, ":8080");
    const t0 = performance.now();
    const d = unifiedDiff(a, b, "f");
    expect(performance.now() - t0).toBeLessThan(2000);
    expect([d.added, d.removed]).toEqual([50_000, 50_000]);
    expect(apply(a, d.text)).toBe(b);
  });
});
