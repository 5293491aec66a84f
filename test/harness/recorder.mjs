#!/usr/bin/env node
// An ExaBGP process that records every line it is sent into the file named by
// its first argument, one write per line so a test can read it at any time.
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";

const out = process.argv[2];
if (!out) {
  process.stderr.write("usage: recorder.mjs OUTPUT_FILE\n");
  process.exit(2);
}
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => appendFileSync(out, line + "\n"));
rl.on("close", () => process.exit(0));
