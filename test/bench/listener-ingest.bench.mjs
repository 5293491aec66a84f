// Listener ingest: the 300k-line stream (1% service routes, a full
// table's worth of other prefixes, then withdraws of a tenth) through the
// real program — the built bin, a small template, the stream piped into its
// stdin, timed to its exit (EOF → final render → exit) — beside the floor
// (split lines + JSON.parse in node) measured in this same run.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { LineSplitter } from "@exacast/core";
import { Ingest, Rib } from "@exacast/listener";
import { ingestStream } from "./generate.mjs";
import { chunks, fmt, median, splitAndParse, timeMedian, verdict } from "./measure.mjs";

const LINES = 300_000;
const ROUNDS = 3;
const listenerBin = fileURLToPath(new URL("../../packages/listener/bin/exacast-listener.js", import.meta.url));
const text = ingestStream(LINES).join("\n") + "\n";
const input = chunks(text);
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-ingest-`);
const template = `${dir}/small.ejs`;
writeFileSync(template, "<% for (const p of ports) { %><%= p %> <%= services[p].length %>\n<% } %>");
writeFileSync(`${dir}/stream.ndjson`, text);

const floor = () => splitAndParse(input);

let held = 0;
function inProcess() {
  const rib = new Rib({ communityAsn: 12345, maxRoutes: 1_000_000 });
  const ingest = new Ingest(rib, { staleGraceMs: 0 });
  const s = new LineSplitter({ line: (l, n) => ingest.line(l, n) });
  for (const c of input) s.push(c);
  s.end();
  held = rib.size;
  return ingest.stats;
}

/** Spawn `args`, pipe the stream into its stdin, resolve with ms to its exit. */
function timeProcess(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(" ")} exited ${code}: ${err.slice(-500)}`))));
    let i = 0;
    const pump = () => {
      while (i < input.length) if (!child.stdin.write(input[i++])) return void child.stdin.once("drain", pump);
      child.stdin.end();
    };
    pump();
  });
}

async function medianOf(fn) {
  await fn();
  const xs = [];
  for (let i = 0; i < ROUNDS; i++) xs.push(await fn());
  return median(xs);
}

// The floor as a program too: node reading the same pipe, split + JSON.parse.
const floorScript = `${dir}/floor.mjs`;
writeFileSync(
  floorScript,
  `import { readLines } from "@exacast/core";\nlet n = 0;\nawait readLines(process.stdin, { line: (l) => { if (JSON.parse(l)) n++; } });\n`,
);
const coreUrl = import.meta.resolve("@exacast/core");
writeFileSync(floorScript, readFileSync(floorScript, "utf8").replace('"@exacast/core"', JSON.stringify(coreUrl)));

const stats = inProcess();
const tFloor = timeMedian(floor, ROUNDS);
const tIn = timeMedian(inProcess, ROUNDS);
const out = `${dir}/out.txt`;
const tProgram = await medianOf(() => timeProcess([listenerBin, "--template", `${template}:${out}`]));
const tFloorProcess = await medianOf(() => timeProcess([floorScript]));
const rendered = readFileSync(out, "utf8").trim().split("\n");

const rate = (ms) => (LINES / ms) * 1000;
console.log(`stream: ${fmt(LINES)} lines, ${fmt(text.length / 1e6)} MB; ${fmt(stats.lines - stats.skipped)} parsed, ${fmt(stats.skipped)} skipped by the prefilter; ${fmt(held)} service routes held at the end; rendered ${rendered.length} ports`);
console.log(`floor, in process   (split + JSON.parse)         : ${fmt(rate(tFloor))} lines/s (${tFloor.toFixed(0)} ms)`);
console.log(`floor, as a program (stdin pipe, split + parse)  : ${fmt(rate(tFloorProcess))} lines/s (${tFloorProcess.toFixed(0)} ms to exit)`);
console.log(`listener, in process (split + prefilter + RIB)   : ${fmt(rate(tIn))} lines/s (${tIn.toFixed(0)} ms)  ${(tFloor / tIn).toFixed(2)}× the floor`);
console.log(`listener, the program (stdin → render → exit)    : ${fmt(rate(tProgram))} lines/s (${tProgram.toFixed(0)} ms to exit)`);
console.log(`  program vs the program floor: ${(tFloorProcess / tProgram).toFixed(2)}×`);
const ok = verdict("listener program / floor (split + JSON.parse, in process)", tFloor / tProgram, 0.5, { unit: "×" });
rmSync(dir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
