// Listener ingest: the real program (the built bin, a small template) against
// the floor — a bare program, no project code, that splits stdin into lines and
// JSON.parses each — on generated streams it has not seen (a new seed each run,
// printed) that vary line length, the share of service routes (≤ 5%) and of
// withdraws. Both read the same file through a pipe (`cat file | node …`), timed
// from start to exit, in alternating rounds; the listener's output is checked.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { variedStream } from "./generate.mjs";
import { fmt, median, verdict } from "./measure.mjs";

// About the issue's own stream (300k lines of 530 bytes): long enough that start-up is not the measure.
const MB = Number(process.env.BENCH_INGEST_MB ?? 150);
const ROUNDS = 5;
const seed = Number(process.env.BENCH_SEED ?? Date.now() % 2 ** 31);
const listenerBin = fileURLToPath(new URL("../../packages/listener/bin/exacast-listener.js", import.meta.url));
const floor = fileURLToPath(new URL("./floor-split-parse.mjs", import.meta.url));
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-ingest-`);
const template = `${dir}/small.ejs`;
writeFileSync(template, "<% for (const p of ports) { %><%= p %> <%= services[p].length %>\n<% } %>");

const VARIANTS = [
  { name: "full table: 1 NLRI, 4 hops, 1% services, 10% withdraws", nlris: 1, asPath: 4, communities: 2, serviceShare: 0.01, withdrawShare: 0.1 },
  { name: "short lines: 1 NLRI, 1 hop, 5% services, 30% withdraws", nlris: 1, asPath: 1, communities: 0, serviceShare: 0.05, withdrawShare: 0.3 },
  { name: "long lines: ≤ 40 NLRIs, 12 hops, 2% services, 5% withdraws", nlris: 40, asPath: 12, communities: 8, serviceShare: 0.02, withdrawShare: 0.05 },
  { name: "very long lines: ≤ 400 NLRIs, 30 hops, 1% services", nlris: 400, asPath: 30, communities: 20, serviceShare: 0.01, withdrawShare: 0.02 },
  { name: "withdraw-heavy: ≤ 3 NLRIs, 50% withdraws, 0.5% services", nlris: 3, asPath: 6, communities: 4, serviceShare: 0.005, withdrawShare: 0.5 },
];

/** ms from spawn to exit of `node args…` reading `file` through a pipe. */
function timeProgram(file, args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn("sh", ["-c", 'cat "$0" | exec "$@"', file, process.execPath, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(" ")} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** The services the stream leaves, as the small template prints them. */
function expectedOutput(lines) {
  const live = new Map();
  for (const l of lines) {
    if (l.includes('"announce"') && l.includes("[ 12345, ")) live.set(/"nlri": "([^"]+)"/.exec(l)[1], Number(/\[ 12345, (\d+) \]/.exec(l)[1]));
    else if (l.includes('"withdraw"')) for (const m of l.matchAll(/"nlri": "([^"]+)"/g)) live.delete(m[1]);
  }
  const counts = new Map();
  for (const port of live.values()) counts.set(port, (counts.get(port) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([p, n]) => `${p} ${n}\n`).join("");
}

console.log(`seed ${seed}; ${MB} MB per stream; ${ROUNDS} rounds, floor and listener alternating`);
let ok = true;
const ratios = [];
for (const [i, v] of VARIANTS.entries()) {
  const lines = variedStream({ bytes: MB * 1e6, seed: seed + i, ...v });
  const file = `${dir}/stream-${i}.ndjson`;
  writeFileSync(file, lines.join("\n") + "\n");
  const out = `${dir}/out-${i}.txt`;
  const listener = () => timeProgram(file, [listenerBin, "--template", `${template}:${out}`]);
  const bare = () => timeProgram(file, [floor]);
  await bare();
  await listener();
  const tf = [];
  const tl = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [fn, xs] of r % 2 ? [[listener, tl], [bare, tf]] : [[bare, tf], [listener, tl]]) xs.push(await fn());
  }
  const [f, l] = [median(tf), median(tl)];
  const lengths = lines.map((x) => x.length).sort((a, b) => a - b);
  const rendered = readFileSync(out, "utf8");
  const right = rendered === expectedOutput(lines);
  console.log(`\n${v.name}`);
  console.log(`  ${fmt(lines.length)} lines, length median ${fmt(lengths[lengths.length >> 1])}, max ${fmt(lengths.at(-1))}; listener's file ${right ? "right" : "WRONG"} (${rendered.split("\n").length - 1} ports)`);
  console.log(`  floor ${fmt(f)} ms, listener ${fmt(l)} ms to exit (${fmt((lines.length / l) * 1000)} lines/s)`);
  ok = verdict(`listener / floor (bare split + JSON.parse), ${v.name.split(":")[0]}`, f / l, 1.0, { unit: "×" }) && right && ok;
  ratios.push(f / l);
  rmSync(file);
}
console.log(`\nlowest ratio ${Math.min(...ratios).toFixed(2)}×`);
rmSync(dir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
