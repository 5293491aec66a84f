// The process runner on real processes: the outcome is the exit, whatever the
// children keep doing with the pipes; a timeout kills the whole group; the
// output kept is bounded, its end kept.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { killAllProcesses, OUTPUT_KEPT, runProcess } from "../../src/process.js";

const shell = (command: string, timeoutMs = 3000, killGraceMs = 2000) => runProcess(command, { timeoutMs, shell: true, killGraceMs });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead too: its parent (the killed shell) is gone and init reaps it.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

describe("runProcess", () => {
  it("a command that leaves a daemon holding its output is done when the shell exits", async () => {
    // Found by the failure tests: the listener waited for the pipes to close,
    // so a reload that started a daemon held every later render until it exited.
    const t0 = Date.now();
    const r = await shell("setsid sleep 3 & echo started; exit 3");
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, status: "exit 3", exitCode: 3, output: "started" });
    expect(await shell("setsid sleep 3 & echo started")).toMatchObject({ ok: true, status: "exit 0", output: "started" });
  });

  it("output written just before the exit is kept", async () => {
    expect(await shell("echo a; sleep 0.05; echo b >&2")).toMatchObject({ ok: true, output: "a\nb" });
  });

  it("a command that ignores SIGTERM is killed after the grace period, its whole group with it", async () => {
    const t0 = Date.now();
    const r = await shell("trap '' TERM; sleep 30 & echo $!; wait", 200, 300);
    expect(r).toMatchObject({ ok: false, timedOut: true, status: "timed out after 200 ms" });
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect.poll(() => alive(Number(r.output)), { timeout: 2000 }).toBe(false);
  });

  it("with no grace the group gets SIGKILL at the timeout", async () => {
    const t0 = Date.now();
    const r = await runProcess(["/bin/sh", "-c", "trap '' TERM; sleep 30"], { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("a missing command is a failure that says so", async () => {
    const r = await shell("/nonexistent/exacast-check");
    expect(r).toMatchObject({ ok: false, status: "exit 127" });
    expect(r.output).toContain("not found");
    const direct = await runProcess(["/nonexistent/exacast-check"], { timeoutMs: 3000 });
    expect(direct).toMatchObject({ ok: false, exitCode: null });
    expect(direct.status).toMatch(/^could not run: .*ENOENT/);
  });

  it("an argument vector runs without a shell; the environment is added to ours", async () => {
    const r = await runProcess(["/bin/echo", "; echo injected", "$HOME"], { timeoutMs: 3000, env: { EXACAST_X: "1" } });
    expect(r.output).toBe("; echo injected $HOME");
    expect((await shell('echo "$EXACAST_X:${PATH:+path}"', 3000)).output).toBe(":path");
    expect((await runProcess('echo "$EXACAST_X"', { timeoutMs: 3000, shell: true, env: { EXACAST_X: "1" } })).output).toBe("1");
  });

  it("a flood of output is read and dropped: the last characters are kept, the size said", async () => {
    const r = await shell("head -c 5000000 /dev/zero | tr '\\0' x; echo; echo the end");
    expect(r.ok).toBe(true);
    expect(r.output.length).toBeLessThan(OUTPUT_KEPT + 100);
    expect(r.output).toMatch(/^…\(5000009 bytes, the last 4000 characters\) x+\nthe end$/);
  });

  it("a child that outlives the shell keeps writing its output: its pipe is drained, not closed", async () => {
    // Closing our end after the shell's exit killed it with SIGPIPE at its next write.
    const dir = mkdtempSync(`${tmpdir()}/exacast-drain-`);
    try {
      const r = await shell(`(sleep 0.3; head -c 300000 /dev/zero | tr '\\0' y; echo; touch ${dir}/done) & echo started`);
      expect(r).toMatchObject({ ok: true, output: "started" });
      await expect.poll(() => existsSync(`${dir}/done`), { timeout: 3000 }).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("killAllProcesses ends what still runs (the program is exiting)", async () => {
    const dir = mkdtempSync(`${tmpdir()}/exacast-kill-`);
    try {
      const t0 = Date.now();
      const running = shell(`touch ${dir}/started; sleep 30`, 30_000);
      // Once it runs (its group exists), not after a guessed time.
      await expect.poll(() => existsSync(`${dir}/started`), { timeout: 3000 }).toBe(true);
      killAllProcesses();
      expect(await running).toMatchObject({ ok: false, status: "killed by SIGKILL" });
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
