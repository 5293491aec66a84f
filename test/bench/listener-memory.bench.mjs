// Listener memory: 1M announced routes, of which 1k are service routes, piped
// into the real program. Peak RSS of that process (its VmHWM, read from /proc
// while it runs, and the maxRSS it reports when it stops) must stay ≤ 200 MB:
// routes that are not services are dropped as they are read.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { announceLine, ipv4Prefix, stateLine } from "./generate.mjs";
import { fmt, verdict } from "./measure.mjs";

const ROUTES = 1_000_000;
const SERVICE_EVERY = 1000;
const LIMIT_MB = 200;
const listenerBin = fileURLToPath(new URL("../../packages/listener/bin/exacast-listener.js", import.meta.url));
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-memory-`);
writeFileSync(`${dir}/small.ejs`, "<% for (const p of ports) { %><%= p %> <%= services[p].length %>\n<% } %>");

function* stream() {
  yield stateLine(1, { state: "connected" });
  yield stateLine(2, { state: "up" });
  for (let i = 0; i < ROUTES; i++) {
    const service = i % SERVICE_EVERY === 0;
    const prefix = service ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32` : ipv4Prefix(i);
    const communities = service ? [[12345, 80 + ((i / SERVICE_EVERY) % 50)], [65000, 1]] : [[3356, 2], [174, 21000 + (i % 100)]];
    yield announceLine(i + 3, { prefix, communities });
  }
}

const vmHwmKb = (pid) => {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

const t0 = performance.now();
const child = spawn(process.execPath, [listenerBin, "--template", `${dir}/small.ejs:${dir}/out.txt`], { stdio: ["pipe", "ignore", "pipe"] });
let err = "";
child.stderr.on("data", (d) => (err += d));
let peakKb = 0;
const poll = setInterval(() => (peakKb = Math.max(peakKb, vmHwmKb(child.pid))), 50);
const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));

let bytes = 0;
const lines = stream();
await new Promise((resolve) => {
  const pump = () => {
    for (;;) {
      let batch = "";
      for (let k = 0; k < 500; k++) {
        const n = lines.next();
        if (n.done) {
          if (batch) child.stdin.write(batch);
          child.stdin.end();
          return resolve();
        }
        batch += n.value + "\n";
      }
      bytes += batch.length;
      if (!child.stdin.write(batch)) return void child.stdin.once("drain", pump);
    }
  };
  pump();
});
const code = await exited;
clearInterval(poll);
const ms = performance.now() - t0;
const reportedKb = Number(/max_rss_kb=(\d+)/.exec(err)?.[1] ?? 0);
const ports = readFileSync(`${dir}/out.txt`, "utf8").trim().split("\n");
const held = ports.reduce((n, l) => n + Number(l.split(" ")[1]), 0);
rmSync(dir, { recursive: true, force: true });
if (code !== 0) {
  console.log(`listener exited ${code}: ${err.slice(-1000)}`);
  process.exit(1);
}
const peakMb = Math.max(peakKb, reportedKb) / 1024;
console.log(`stream: ${fmt(ROUTES)} announces (${fmt(ROUTES / SERVICE_EVERY)} service routes), ${fmt(bytes / 1e6)} MB in ${fmt(ms)} ms (${fmt((ROUTES / ms) * 1000)} lines/s)`);
console.log(`held at the end: ${fmt(held)} service routes on ${ports.length} ports`);
console.log(`peak RSS: VmHWM polled ${fmt(peakKb / 1024)} MB, maxRSS reported by the listener ${fmt(reportedKb / 1024)} MB`);
const ok = verdict("listener peak RSS", Math.round(peakMb), LIMIT_MB, { higherIsBetter: false, unit: " MB" }) && held === ROUTES / SERVICE_EVERY;
process.exit(ok ? 0 : 1);
