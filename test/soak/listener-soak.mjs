// The listener's soak: route changes piped into exacast-listener (announces,
// replacements, withdraws, re-announces without our community, sessions
// dropping, a full table's noise), paced or as fast as it reads; at EOF its
// last render must be exactly what the changes leave.

import { readFileSync, writeFileSync } from "node:fs";
import { announceLine, rng, stateLine, withdrawLine } from "../bench/generate.mjs";
import { listenerBin, NODE_FLAGS, run, sampler, sleep } from "./sample.mjs";

const PEERS = ["127.0.0.1", "127.0.0.2"];
const prefixOf = (i) => `10.${100 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}/32`;
const numeric = (p) => p.split(/[./]/).slice(0, 4).reduce((n, o) => n * 256 + Number(o), 0);

/**
 * `changes` route changes (or until `seconds`) piped into the listener, as fast
 * as it reads them or `rate` a second. Resolves with samples, counts and whether the final file is
 * exactly what the changes leave.
 */
export async function listenerSoak({ changes, seconds, sampleMs, dir, rate = 0, prefixes = 5000, ports = 50 }) {
  const out = `${dir}/services.txt`;
  writeFileSync(`${dir}/services.ejs`, "<% for (const p of ports) { %><%= p %>: <%= services[p].join(' ') %>\n<% } %>");
  writeFileSync(`${dir}/listener.yaml`, `debounce: 100ms\nmax_wait: 1s\n# The model drops a neighbor's routes when its session goes down.\nstale_grace: 0s\ntemplates: [{ source: services.ejs, destination: ${out} }]\n`);
  const memFile = `${dir}/memory.ndjson`;
  const l = run(process.execPath, [...NODE_FLAGS, listenerBin, "--config", `${dir}/listener.yaml`], { cwd: dir, env: { ...process.env, EXACAST_SOAK_MEMFILE: memFile } });
  const random = rng(7);
  const held = new Map(); // "peer prefix-index" → ports
  let done = 0;
  let lines = 0;
  const s = sampler(l.child.pid, sampleMs, () => ({ changes: done }), memFile);
  const t0 = performance.now();
  const deadline = seconds > 0 ? t0 + seconds * 1000 : Infinity;
  let counter = 0;
  const pick = (n) => Math.floor(random() * n);
  while (done < changes && performance.now() < deadline) {
    const batch = [];
    for (let k = 0; k < 2000 && done < changes; k++) {
      const peer = PEERS[pick(2)];
      if (done > 0 && done % 200_000 === 0) {
        // A session drops (every route of that neighbor goes) and comes back.
        batch.push(stateLine(++counter, { peer, state: "down" }), stateLine(++counter, { peer, state: "up" }));
        for (const key of [...held.keys()]) if (key.startsWith(`${peer} `)) held.delete(key);
        done++;
        continue;
      }
      const i = pick(prefixes);
      const key = `${peer} ${i}`;
      const x = random();
      if (x < 0.55) {
        const ps = [8000 + pick(ports)];
        if (random() < 0.3) ps.push(8000 + pick(ports));
        batch.push(announceLine(++counter, { peer, prefix: prefixOf(i), communities: [...ps.map((p) => [12345, p]), [65000, 1]] }));
        held.set(key, [...new Set(ps)]);
      } else if (x < 0.9) {
        batch.push(withdrawLine(++counter, { peer, prefix: prefixOf(i) }));
        held.delete(key);
      } else {
        batch.push(announceLine(++counter, { peer, prefix: prefixOf(i), communities: [[65000, 1]] }));
        held.delete(key);
      }
      done++;
      // A full table's noise: routes that are no service, skipped by the prefilter.
      if (random() < 0.2) batch.push(announceLine(++counter, { peer, prefix: `${1 + pick(200)}.${pick(256)}.${pick(256)}.0/24`, communities: [[3356, 2]] }));
    }
    lines += batch.length;
    if (!l.child.stdin.write(batch.join("\n") + "\n")) await new Promise((r) => l.child.stdin.once("drain", r));
    // Paced: `rate` changes a second on average (0: as fast as the listener reads).
    if (rate > 0) {
      const ahead = t0 + (done / rate) * 1000 - performance.now();
      if (ahead > 0) await sleep(ahead);
    }
  }
  const feedMs = performance.now() - t0;
  const samples = await s.stop();
  l.child.stdin.end();
  const exit = await l.exited;
  const byPort = new Map();
  for (const [key, ps] of held) {
    const i = Number(key.split(" ")[1]);
    for (const p of ps) (byPort.get(p) ?? byPort.set(p, new Set()).get(p)).add(i);
  }
  const want = [...byPort.keys()]
    .sort((a, b) => a - b)
    .map((p) => `${p}: ${[...byPort.get(p)].map(prefixOf).sort((a, b) => numeric(a) - numeric(b)).join(" ")}\n`)
    .join("");
  let got = "";
  try {
    got = readFileSync(out, "utf8");
  } catch {
    /* not written */
  }
  return { changes: done, lines, feedMs, exit, samples, finalExact: got === want, routes: held.size, stderr: l.stderr() };
}
