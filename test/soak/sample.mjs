// What a soak measures and how it judges it: RSS, RSS after full
// collections (gc-hook.mjs), the JS heap and open file descriptors of a live
// process, sampled from /proc every few seconds; after warm-up each judged
// figure must stay within 10%. And how the programs under test are run.

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const listenerBin = `${root}/packages/listener/bin/exacast-listener.js`;
export const announcerBin = `${root}/packages/announcer/bin/exacast-announcer.js`;
export const FLAT = 0.1;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gcHook = fileURLToPath(new URL("gc-hook.mjs", import.meta.url));
// How the programs run: with the collection hook, and any extra flags to look into a failure.
export const NODE_FLAGS = ["--expose-gc", "--import", gcHook, ...(process.env.EXACAST_SOAK_NODE_FLAGS ?? "").split(" ").filter(Boolean)];

const rssOf = (pid) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);

/** Lines in a file (0 when it does not exist yet). */
function linesIn(file) {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * RSS (kB) as it is, RSS and heap right after a full collection (gc-hook.mjs,
 * when `memFile` is given), and open file descriptors, of a live process.
 */
export async function sample(pid, memFile) {
  const rssKb = rssOf(pid);
  let gcRssKb = NaN;
  let heapMb = NaN;
  if (memFile) {
    const before = linesIn(memFile).length;
    process.kill(pid, "SIGUSR2");
    const deadline = performance.now() + 5000;
    while (linesIn(memFile).length === before && performance.now() < deadline) await sleep(5);
    const last = linesIn(memFile).at(-1);
    if (linesIn(memFile).length > before && last) {
      heapMb = JSON.parse(last).heapUsed / 1048576;
      gcRssKb = rssOf(pid);
    }
  }
  // Open for a moment is no leak (a health check's socket, a render's
  // temporary file while it is synced): the fewest of five looks 80 ms apart.
  let fds = Infinity;
  for (let i = 0; i < 5; i++) {
    fds = Math.min(fds, readdirSync(`/proc/${pid}/fd`).length);
    if (i < 4) await sleep(80);
  }
  return { rssKb, gcRssKb, heapMb, fds };
}

/** Samples every `ms` until stop() resolves them; `extra()` adds fields (progress). */
export function sampler(pid, ms, extra, memFile) {
  const samples = [];
  const t0 = performance.now();
  let timer;
  let stopped = false;
  let inflight = Promise.resolve();
  const take = async () => {
    const t = (performance.now() - t0) / 1000;
    const progress = extra();
    try {
      samples.push({ t, ...(await sample(pid, memFile)), ...progress });
    } catch {
      /* exited */
    }
  };
  const loop = async () => {
    await (inflight = take());
    if (!stopped) timer = setTimeout(loop, ms);
  };
  timer = setTimeout(loop, ms);
  return {
    samples,
    /** The samples so far, and one more now (call while the process still runs). */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inflight;
      await take();
      return samples;
    },
  };
}

/** Samples after warm-up: the first `warmupS` seconds, and at least the first quarter. */
export function afterWarmup(samples, warmupS) {
  const end = samples.at(-1)?.t ?? 0;
  const from = Math.max(warmupS, end / 4);
  return { from, rest: samples.filter((s) => s.t >= from) };
}

/**
 * max/min − 1 of `key` after warm-up, of the values themselves or (`smooth`)
 * of their running median of three: one sample caught in the middle of a
 * render is not a trend, a leak is.
 */
export function spread(samples, key, warmupS, smooth = false) {
  const { from, rest } = afterWarmup(samples, warmupS);
  let values = rest.map((s) => s[key]);
  if (smooth) values = values.slice(1, -1).map((_, i) => [values[i], values[i + 1], values[i + 2]].sort((a, b) => a - b)[1]);
  if (values.length < 3) return { ok: false, why: `only ${values.length} values after ${from.toFixed(0)} s of warm-up`, from };
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { ok: max / min - 1 <= FLAT, min, max, pct: (max / min - 1) * 100, from };
}

export function table(title, samples, progressKey) {
  const mb = (kb) => (kb / 1024).toFixed(1).padStart(10);
  const rows = samples.map(
    (s) => `${s.t.toFixed(1).padStart(7)}  ${String(s[progressKey]).padStart(10)}  ${mb(s.rssKb)}  ${mb(s.gcRssKb)}  ${s.heapMb.toFixed(1).padStart(8)}  ${String(s.fds).padStart(5)}`,
  );
  const head = `${"t (s)".padStart(7)}  ${progressKey.padStart(10)}  ${"RSS MB".padStart(10)}  ${"RSS gc MB".padStart(10)}  ${"heap MB".padStart(8)}  ${"fds".padStart(5)}`;
  return [title, head, ...rows].join("\n");
}

export function run(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], ...opts });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (err = (err + d).slice(-20_000)));
  child.stdin.on("error", () => {});
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => err };
}

