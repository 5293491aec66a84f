// Failover: a backend stops; how long until `withdraw` is written. With
// fast_interval 100ms and fall 2, p50 ≤ 0.3 s over 20 trials.
//
// Detection needs the first failed check, which comes up to `interval` after
// the stop, then fall-1 more at fast_interval: the expected time is
// interval/2 + (fall-1)·fast_interval. The target series uses interval 200ms
// (model: 0.2 s); a second series with the default interval (2 s, model 1.1 s)
// is printed for reference.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { quantile, underExabgp, until } from "../harness/announcer-bench.mjs";
import { verdict } from "./measure.mjs";

const TRIALS = Number(process.env.TRIALS ?? 20);
const bin = fileURLToPath(new URL("../../packages/announcer/bin/exacast-announcer.js", import.meta.url));
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-failover-`);

async function series(interval, intervalMs, trials) {
  let server = null;
  let port = 0;
  const start = () =>
    new Promise((resolve) => {
      server = createServer((c) => c.destroy());
      server.listen(port, "127.0.0.1", () => {
        port = server.address().port;
        resolve();
      });
    });
  const stop = () => new Promise((resolve) => server.close(resolve));
  await start();
  const config = `${dir}/failover-${interval}.yaml`;
  writeFileSync(
    config,
    `next_hop: 192.0.2.2\ninterval: ${interval}\nfast_interval: 100ms\nfall: 2\nrise: 2\ntimeout: 500ms\n` +
      `apps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443], checks: [{ tcp: "127.0.0.1:${port}" }] }\n`,
  );
  const events = [];
  const ann = underExabgp(process.execPath, [bin, "--config", config], { onCommand: (line, t) => events.push({ line, t }) });
  const times = [];
  try {
    for (let i = 0; i < trials; i++) {
      await until(() => events.at(-1)?.line.startsWith("announce "), 30_000, "announced");
      // A random moment in the check cycle, as a real failure would be.
      await new Promise((r) => setTimeout(r, 50 + Math.random() * intervalMs));
      const t0 = performance.now();
      await stop();
      const w = await until(() => events.find((e) => e.t >= t0 && e.line.startsWith("withdraw ")), 30_000, "withdraw");
      times.push((w.t - t0) / 1000);
      await start();
    }
  } finally {
    ann.child.kill("SIGTERM");
    await ann.exited;
    await stop();
  }
  return times;
}

const fmtS = (s) => `${s.toFixed(3)} s`;
let ok = true;
try {
  const fast = await series("200ms", 200, TRIALS);
  console.log(`interval 200ms, fast_interval 100ms, fall 2 — ${TRIALS} trials: p50 ${fmtS(quantile(fast, 0.5))}, p90 ${fmtS(quantile(fast, 0.9))}, max ${fmtS(Math.max(...fast))} (model: mean 0.200 s)`);
  ok = verdict("failover p50 (interval 200ms)", quantile(fast, 0.5), 0.3, { higherIsBetter: false, unit: " s" });
  const slow = await series("2s", 2000, Math.min(TRIALS, 6));
  console.log(`interval 2s (default), fast_interval 100ms, fall 2 — ${slow.length} trials: p50 ${fmtS(quantile(slow, 0.5))}, max ${fmtS(Math.max(...slow))} (model: mean 1.100 s; for reference, no target)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
