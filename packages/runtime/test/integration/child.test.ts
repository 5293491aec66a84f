// A long-running child (the listener's exec: mode) as the system runs it:
// signals reach it, a group signal reaches what it started, its output goes
// to our stderr and never to stdout (ExaBGP's API), and its end is reported
// once with how it ended.

import { chownSync, chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { replaceFile } from "../../src/atomic-file.js";
import { startChild } from "../../src/child.js";

const dirs: string[] = [];
const children: { signalGroup(sig: NodeJS.Signals): void }[] = [];
afterAll(() => {
  for (const c of children) c.signalGroup("SIGKILL");
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const tmp = () => {
  const d = mkdtempSync(`${tmpdir()}/exacast-child-`);
  dirs.push(d);
  return d;
};

/** Waits, bounded, for `probe` to hold (vitest's poll; the message names what did not happen). */
const until = (probe: () => boolean, what: string, ms = 5000): Promise<void> =>
  expect.poll(probe, { timeout: ms, message: `not reached within ${ms} ms: ${what}` }).toBe(true) as Promise<void>;
const read = (f: string) => {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return "";
  }
};

describe("startChild", () => {
  it("is signalled, reports its end once; its stdout is our stderr", async () => {
    const dir = tmp();
    const script = `trap 'echo HUP >> ${dir}/got' HUP; echo ready > ${dir}/ready; while :; do sleep 0.05; done`;
    const c = startChild(script, { shell: true });
    children.push(c);
    expect(c.pid).toBeGreaterThan(0);
    await until(() => read(`${dir}/ready`) !== "", "the child started");
    expect(c.signal("SIGHUP")).toBe(true);
    await until(() => read(`${dir}/got`) === "HUP\n", "SIGHUP trapped");
    // What a child's stdout is, as it sees it: our stderr.
    const probe = startChild([process.execPath, "-e", `require("fs").writeFileSync("${dir}/stdout", require("fs").readlinkSync("/proc/self/fd/1"))`]);
    expect((await probe.exited).status).toBe("exit 0");
    expect(read(`${dir}/stdout`)).toBe(readlinkSync("/proc/self/fd/2"));
    c.signalGroup("SIGTERM");
    expect(await c.exited).toMatchObject({ signal: "SIGTERM", status: "killed by SIGTERM" });
    expect(c.signal("SIGHUP")).toBe(false);
  });

  it("a group signal reaches what the child started; a program that is not there says so", async () => {
    const dir = tmp();
    const c = startChild(["sh", "-c", `sleep 30 & echo $! > ${dir}/grandchild; wait`]);
    children.push(c);
    await until(() => read(`${dir}/grandchild`) !== "", "grandchild started");
    const grandchild = Number(read(`${dir}/grandchild`));
    c.signalGroup("SIGKILL");
    await c.exited;
    await until(() => {
      try {
        process.kill(grandchild, 0);
        return false;
      } catch {
        return true;
      }
    }, "grandchild gone");
    const missing = startChild(["/nonexistent/exacast-child"]);
    expect((await missing.exited).status).toMatch(/^could not run: .*ENOENT/);
  });
});

describe("replaceFile owner", () => {
  it.skipIf(process.getuid?.() !== 0)("gives the file the owner asked for; -1 keeps the replaced file's", async () => {
    const dir = tmp();
    writeFileSync(`${dir}/a`, "old\n");
    chownSync(`${dir}/a`, 0, 65534);
    chmodSync(`${dir}/a`, 0o640);
    expect(await replaceFile(`${dir}/a`, "new\n", { owner: { uid: 65534, gid: -1 } })).toEqual({ ok: true });
    const s = statSync(`${dir}/a`);
    expect([s.uid, s.gid, s.mode & 0o777]).toEqual([65534, 65534, 0o640]);
    expect(await replaceFile(`${dir}/b`, "new\n", { owner: { uid: -1, gid: 65534 } })).toEqual({ ok: true });
    expect([statSync(`${dir}/b`).uid, statSync(`${dir}/b`).gid]).toEqual([0, 65534]);
  });
});
