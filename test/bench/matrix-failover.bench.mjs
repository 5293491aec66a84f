// Failover in each cell of the compatibility matrix (README "Works with"):
// backend stop → the listener's rendered file changed, the whole path real
// (announcer ExaBGP → router → listener ExaBGP → file), interval 200ms,
// fast_interval 100ms, fall 2. TRIALS stops per cell (default 10); p50, p90
// and max printed. The e2e matrix asserts one stop per cell ≤ 0.4 s; this
// shows the spread. Filter cells with CELLS="5.0 frr" (substrings of
// "<version> <router>"). Needs `npx tsc -b` (it runs the built harness).
import { exabgpRuntime } from "../harness/dist/index.js";
import { Pipeline } from "../harness/dist/pipeline.js";
import { quantile } from "../harness/announcer-bench.mjs";

const TRIALS = Number(process.env.TRIALS ?? 10);
const ROUTERS = ["gobgp", "frr-rs", "bird-rs", "frr-tor"];
const cells = [];
for (const version of ["4.2", "5.0", "main"]) {
  for (const router of ROUTERS) {
    // ExaBGP main resets the session on BIRD's End-of-RIB (its bug): not a cell.
    if (version === "main" && router === "bird-rs") continue;
    cells.push([version, router]);
  }
}
const wanted = (process.env.CELLS ?? "").split(",").filter(Boolean);
const rows = [];
for (const [version, router] of cells) {
  if (wanted.length > 0 && !wanted.some((w) => `${version} ${router}`.includes(w))) continue;
  const runtime = await exabgpRuntime(version);
  if (typeof runtime === "string") {
    console.log(`${version} × ${router}: skipped (${runtime})`);
    continue;
  }
  const p = await Pipeline.start({ runtime, router });
  const times = [];
  try {
    await p.waitFile(true, "both VIPs rendered");
    for (let i = 0; i < TRIALS; i++) {
      const changed = p.fileChanged(p.read());
      const t0 = performance.now();
      await p.backend.stop();
      times.push((await changed) - t0);
      await p.waitFile(false, "both VIPs gone");
      await p.backend.start();
      await p.waitFile(true, "both VIPs back");
      // A random phase against the checks' interval, as a real outage has.
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  } finally {
    await p.close();
  }
  const ms = (q) => Math.round(quantile(times, q));
  const row = { cell: `${runtime.describe} × ${router}`, p50: ms(0.5), p90: ms(0.9), max: Math.round(Math.max(...times)), over400: times.filter((t) => t > 400).length };
  rows.push(row);
  console.log(`${row.cell}: failover p50 ${row.p50} ms, p90 ${row.p90} ms, max ${row.max} ms (${row.over400}/${TRIALS} over 400 ms)`);
}
console.table(rows);
