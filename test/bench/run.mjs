#!/usr/bin/env node
// Runs every benchmark (or those whose name contains an argument) one after
// another, each in its own node process so one's heap cannot slow the next,
// then prints every verdict and ratio of the run together.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

function run(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", `${dir}/${file}`, ...flags], { stdio: ["ignore", "pipe", "inherit"] });
    const verdicts = [];
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      process.stdout.write(d);
      const lines = (partial + d).split("\n");
      partial = lines.pop();
      verdicts.push(...lines.filter((l) => /^(PASS|MISS|FAIL|INFO) /.test(l)));
    });
    child.on("exit", (code) => resolve({ file, code, verdicts, seconds: (performance.now() - t0) / 1000 }));
    const t0 = performance.now();
  });
}

const t0 = performance.now();
const results = [];
for (const f of benches) {
  console.log(`\n### ${f}`);
  results.push(await run(f));
}
console.log(`\n### every result of this run (${((performance.now() - t0) / 60000).toFixed(1)} min)`);
for (const r of results) {
  console.log(`${r.file} (${r.seconds.toFixed(0)} s)${r.code === 0 ? "" : ` — exit ${r.code}`}`);
  for (const v of r.verdicts) console.log(`  ${v}`);
}
const failed = results.filter((r) => r.code !== 0).length;
console.log(failed ? `\n${failed} benchmark(s) missed a target or failed` : "\nall benchmarks met their targets");
process.exit(failed ? 1 : 0);
