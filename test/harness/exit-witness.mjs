#!/usr/bin/env node
// Runs a command with this process's stdio and records how it ended, as JSON
// in the file named by the first argument: {"code":0,"signal":null}. Signals
// this process gets are passed on. Tests use it to see the exit code of a
// program that ExaBGP runs (ExaBGP reaps it and does not say).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

const [file, cmd, ...args] = process.argv.slice(2);
if (!file || !cmd) {
  process.stderr.write("usage: exit-witness.mjs RESULT_FILE COMMAND [ARGS…]\n");
  process.exit(2);
}
const child = spawn(cmd, args, { stdio: "inherit" });
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"]) {
  process.on(sig, () => {
    try {
      child.kill(sig);
    } catch {
      /* gone */
    }
  });
}
child.on("exit", (code, signal) => {
  writeFileSync(file, JSON.stringify({ code, signal }) + "\n");
  process.exit(code ?? 1);
});
