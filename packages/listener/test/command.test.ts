// Check and reload commands as a shell runs them: the outcome is the shell's
// exit, whatever its children keep doing with the pipes.

import { describe, expect, it } from "vitest";
import { runCommand } from "../src/command.js";

describe("runCommand", () => {
  it("a command that leaves a daemon holding its output is done when the shell exits", async () => {
    // Found by the failure tests: the listener waited for the pipes to close,
    // so a reload that started a daemon held every later render until it exited.
    const t0 = Date.now();
    const r = await runCommand("setsid sleep 3 & echo started; exit 3", { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, status: "exit 3", output: "started" });
    const ok = await runCommand("setsid sleep 3 & echo started", { timeoutMs: 3000 });
    expect(ok).toMatchObject({ ok: true, status: "exit 0", output: "started" });
  });

  it("output written just before the exit is kept", async () => {
    expect(await runCommand("echo a; sleep 0.05; echo b >&2", { timeoutMs: 3000 })).toMatchObject({ ok: true, output: "a\nb" });
  });

  it("a command that ignores SIGTERM is killed after the grace period", async () => {
    const t0 = Date.now();
    const r = await runCommand("trap '' TERM; sleep 30", { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, status: "timed out after 200 ms" });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("a missing command is a failure that says so", async () => {
    const r = await runCommand("/nonexistent/exacast-check", { timeoutMs: 3000 });
    expect(r).toMatchObject({ ok: false, status: "exit 127" });
    expect(r.output).toContain("not found");
  });
});
