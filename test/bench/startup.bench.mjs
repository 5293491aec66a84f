// Start-up: the built bins against a bare `node -e 0`, in alternating rounds:
// --version of both, `exacast-announcer check` of a generated config, and
// `exacast-listener render` of a generated small capture with the HAProxy
// example template. Each command is checked to succeed; medians of wall time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { announceLine, rng, stateLine } from "./generate.mjs";
import { fmt, median, verdict } from "./measure.mjs";

const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 21);
const TARGET = 1.5;
const seed = Number(process.env.BENCH_SEED ?? Date.now() % 2 ** 31);
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const listener = here("../../packages/listener/bin/exacast-listener.js");
const announcer = here("../../packages/announcer/bin/exacast-announcer.js");
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-startup-`);

// Inputs of this run: a dozen apps, a capture of a few dozen routes.
const random = rng(seed);
const int = (n) => Math.floor(random() * n);
const config = `${dir}/announcer.yaml`;
writeFileSync(
  config,
  `next_hop: 192.0.2.2\ninterval: ${1 + int(5)}s\nrise: ${1 + int(3)}\nfall: ${1 + int(3)}\napps:\n` +
    Array.from({ length: 8 + int(8) }, (_, i) => `  - name: app${i}\n    vip: 10.255.${int(256)}.${i}/32\n    ports: [${1000 + int(60000)}]\n    checks: [{ tcp: "127.0.0.1:${1000 + int(60000)}" }]\n`).join(""),
);
const capture = `${dir}/capture.ndjson`;
writeFileSync(
  capture,
  [stateLine(1, { state: "up" }), ...Array.from({ length: 20 + int(40) }, (_, i) => announceLine(i + 2, { prefix: `10.${int(256)}.${int(256)}.${i}/32`, communities: [[12345, 80 + int(5)]] }))].join("\n") + "\n",
);
const template = here("../../examples/haproxy.cfg.ejs");

const commands = [
  ["bare node -e 0", ["-e", "0"]],
  ["exacast-listener --version", [listener, "--version"]],
  ["exacast-announcer --version", [announcer, "--version"]],
  ["exacast-announcer check", [announcer, "check", "--config", config]],
  ["exacast-listener render", [listener, "render", "--input", capture, "--template", template]],
];
const times = commands.map(() => []);
for (let r = 0; r < ROUNDS + 1; r++) {
  const order = r % 2 ? [...commands.keys()].reverse() : [...commands.keys()];
  for (const k of order) {
    const t = performance.now();
    const p = spawnSync(process.execPath, commands[k][1], { stdio: ["ignore", "pipe", "pipe"] });
    const ms = performance.now() - t;
    if (p.status !== 0) throw new Error(`${commands[k][0]} exited ${p.status}: ${p.stderr}`);
    if (r > 0) times[k].push(ms); // the first round warms the page cache
  }
}
rmSync(dir, { recursive: true, force: true });

const floor = median(times[0]);
console.log(`seed ${seed}; ${ROUNDS} rounds, alternating order; medians of wall time`);
console.log(`  bare node -e 0: ${floor.toFixed(1)} ms`);
let ok = true;
for (let k = 1; k < commands.length; k++) {
  const m = median(times[k]);
  console.log(`  ${commands[k][0]}: ${m.toFixed(1)} ms`);
  ok = verdict(`${commands[k][0]} / bare node`, m / floor, TARGET, { higherIsBetter: false, unit: "×" }) && ok;
}
process.exit(ok ? 0 : 1);
