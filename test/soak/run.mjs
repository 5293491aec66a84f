// npm run soak: a million route changes through exacast-listener and 10,000
// health flaps through exacast-announcer, side by side, with RSS and open file
// descriptors sampled from /proc; after warm-up each must stay within 10%.
// Prints the samples; exits 1 if a check fails.
//
//   EXACAST_SOAK_CHANGES    route changes (default 1,000,000)
//   EXACAST_SOAK_RATE       route changes a second (default 10,000; 0: as fast as the listener reads)
//   EXACAST_SOAK_FLAPS      health flaps (default 10,000)
//   EXACAST_SOAK_FLAP_RATE  flaps a second (default 100; 0: as fast as the checks see them)
//   EXACAST_SOAK_PREFIXES   service prefixes the changes draw from, each on two neighbors (default 5,000)
//   EXACAST_SOAK_APPS       announcer apps, each with its own backend (default 10)
//   EXACAST_SOAK_SECONDS    stop each soak after this long even if its count is not reached (default: no limit)
//   EXACAST_SOAK_SAMPLE_MS  sampling period (default 2000)
//   EXACAST_SOAK_WARMUP_S   samples not judged (default 20, and at least the first quarter)
//
// RSS is judged after full collections (test/soak/gc-hook.mjs, preloaded into
// both programs, runs two on SIGUSR2 and lets V8 hand the freed pages back
// before each sample), as the running median of three samples: as it is, RSS
// swings by 10-25% with V8's collection cycle (the listener's old generation
// fills with tens of MB of render garbage between two major collections)
// while the live heap stays flat, which says nothing about a leak. Raw RSS and
// the heap are printed beside it. With maps of 20,000 prefixes and more, the
// garbage of each render is large enough to swing RSS by ±15% even so.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { announcerSoak } from "./announcer-soak.mjs";
import { listenerSoak } from "./listener-soak.mjs";
import { FLAT, spread, table } from "./sample.mjs";

const num = (name, dflt) => Number(process.env[name] ?? dflt);
const CHANGES = num("EXACAST_SOAK_CHANGES", 1_000_000);
const FLAPS = num("EXACAST_SOAK_FLAPS", 10_000);
const SECONDS = num("EXACAST_SOAK_SECONDS", 0);
const SAMPLE_MS = num("EXACAST_SOAK_SAMPLE_MS", 2000);
const APPS = num("EXACAST_SOAK_APPS", 10);
const RATE = num("EXACAST_SOAK_RATE", 10_000);
const FLAP_RATE = num("EXACAST_SOAK_FLAP_RATE", 100);
const WARMUP_S = num("EXACAST_SOAK_WARMUP_S", 20);
const PREFIXES = num("EXACAST_SOAK_PREFIXES", 5000);

const dir = mkdtempSync(`${tmpdir()}/exacast-soak-`);
const problems = [];
const fmt = (n) => Math.round(n).toLocaleString("en-US");

function flatness(name, samples) {
  for (const [key, label, unit, scale, judged, smooth] of [
    ["gcRssKb", "RSS after a full GC (running median of 3)", "MB", 1 / 1024, true, true],
    ["fds", "open fds", "", 1, true, false],
    ["heapMb", "JS heap after a full GC", "MB", 1, false, false],
    ["gcRssKb", "RSS after a full GC, each sample", "MB", 1 / 1024, false, false],
    ["rssKb", "RSS as sampled", "MB", 1 / 1024, false, false],
  ]) {
    const s = spread(samples, key, WARMUP_S, smooth);
    const text = s.min === undefined ? s.why : `min ${(s.min * scale).toFixed(1)} max ${(s.max * scale).toFixed(1)}${unit ? ` ${unit}` : ""} (+${s.pct.toFixed(1)}%)`;
    const verdict = judged ? ` ${s.ok ? "≤" : ">"} ${FLAT * 100}% ${s.ok ? "ok" : "FAIL"}` : " (shown, not judged)";
    console.log(`  ${name} ${label}, from ${s.from.toFixed(0)} s: ${text}${verdict}`);
    if (judged && !s.ok) problems.push(`${name} ${label}: ${text}`);
  }
}

try {
  const pace = (r, unit) => (r > 0 ? `${fmt(r)} ${unit}/s` : "unpaced");
  console.log(
    `soak: ${fmt(CHANGES)} route changes over ${fmt(PREFIXES)} prefixes × 2 neighbors (${pace(RATE, "changes")}) and ${fmt(FLAPS)} health flaps of ${APPS} apps (${pace(FLAP_RATE, "flaps")})` +
      `${SECONDS > 0 ? `, at most ${SECONDS} s each` : ""}; samples every ${SAMPLE_MS} ms`,
  );
  const [l, a] = await Promise.all([
    listenerSoak({ changes: CHANGES, seconds: SECONDS, rate: RATE, sampleMs: SAMPLE_MS, prefixes: PREFIXES, dir: mkdtempSync(`${dir}/l-`) }),
    announcerSoak({ flaps: FLAPS, seconds: SECONDS, rate: FLAP_RATE, sampleMs: SAMPLE_MS, dir: mkdtempSync(`${dir}/a-`), apps: APPS }),
  ]);

  console.log(`\n${table(`listener: ${fmt(l.changes)} route changes (${fmt(l.lines)} lines) in ${(l.feedMs / 1000).toFixed(1)} s = ${fmt(l.changes / (l.feedMs / 1000))}/s`, l.samples, "changes")}`);
  console.log(`  exit ${JSON.stringify(l.exit)}; final file ${l.finalExact ? "exactly the routes held" : "WRONG"} (${fmt(l.routes)} service routes)`);
  if (l.exit.code !== 0) problems.push(`listener exit ${JSON.stringify(l.exit)}: ${l.stderr.slice(-2000)}`);
  if (!l.finalExact) problems.push("listener: the final file is not what the changes leave");
  flatness("listener", l.samples);

  console.log(`\n${table(`announcer: ${fmt(a.flaps)} flaps in ${(a.flapMs / 1000).toFixed(1)} s = ${fmt(a.flaps / (a.flapMs / 1000))}/s`, a.samples, "flaps")}`);
  console.log(`  ${fmt(a.commands)} commands (${a.malformed.length} malformed), ${a.neighborUps} full resends; exit on shutdown ${JSON.stringify(a.exit)}`);
  if (a.error) problems.push(`announcer: ${a.error.message}; last commands:\n${a.tail.join("\n")}\n${a.stderr.slice(-2000)}`);
  if (a.malformed.length) problems.push(`announcer wrote malformed lines: ${a.malformed.slice(0, 3).join(" | ")}`);
  if (a.exit.code !== 0) problems.push(`announcer exit ${JSON.stringify(a.exit)}`);
  if (SECONDS === 0 && a.flaps < FLAPS) problems.push(`announcer: ${a.flaps} flaps of ${FLAPS}`);
  if (SECONDS === 0 && l.changes < CHANGES) problems.push(`listener: ${l.changes} changes of ${CHANGES}`);
  flatness("announcer", a.samples);
} catch (e) {
  problems.push(e.stack ?? String(e));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (problems.length) {
  console.log(`\nsoak FAILED:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log("\nsoak ok");
