#!/usr/bin/env node
// Runs every benchmark (or those whose name contains an argument) one after
// another, each in its own node process so one's heap cannot slow the next.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of benches) {
  console.log(`\n### ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", `${dir}/${f}`, ...process.argv.slice(2).filter((a) => a.startsWith("-"))], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
console.log(failed ? `\n${failed} benchmark(s) missed a target or failed` : "\nall benchmarks met their targets");
process.exit(failed ? 1 : 0);
