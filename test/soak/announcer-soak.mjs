// The announcer's soak: health flaps of real TCP backends under
// exacast-announcer, its stdout acked as ExaBGP does; it must write nothing
// but well-formed commands, resend everything when a neighbor comes up, and
// withdraw every VIP and exit 0 on `shutdown`.

import { writeFileSync } from "node:fs";
import { isCommandLine } from "@exacast/core";
import { TcpBackend } from "../harness/dist/backend.js";
import { announcerBin, NODE_FLAGS, run, sampler, sleep } from "./sample.mjs";

/**
 * `apps` apps, each a tcp check of its own backend; their backends flap (stop
 * → its VIP withdrawn → start → announced again), `rate` a second, until
 * `flaps` or `seconds`.
 */
export async function announcerSoak({ flaps, seconds, sampleMs, dir, apps = 10, rate = 0 }) {
  const backends = Array.from({ length: apps }, () => new TcpBackend());
  for (const b of backends) await b.start();
  const vip = (i) => `10.254.${i >> 8}.${i & 255}/32`;
  writeFileSync(
    `${dir}/announcer.json`,
    JSON.stringify({
      next_hop: "192.0.2.2",
      interval: "20ms",
      fast_interval: "10ms",
      timeout: "200ms",
      rise: 1,
      fall: 1,
      apps: backends.map((b, i) => ({ name: `app${i}`, vip: vip(i), ports: [1000 + i], checks: [{ tcp: `127.0.0.1:${b.port}` }] })),
    }),
  );
  const memFile = `${dir}/memory.ndjson`;
  const a = run(process.execPath, [...NODE_FLAGS, announcerBin, "--config", `${dir}/announcer.json`], { cwd: dir, env: { ...process.env, EXACAST_SOAK_MEMFILE: memFile } });
  // ExaBGP's side: each command answered `done`; waiters per VIP.
  const waiting = new Map();
  let commands = 0;
  let malformed = [];
  let partial = "";
  const tail = [];
  a.child.stdout.setEncoding("utf8").on("data", (d) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop();
    for (const line of parts) {
      commands++;
      if (!isCommandLine(line)) malformed.push(line);
      tail.push(line);
      if (tail.length > 100) tail.shift();
      if (!a.child.stdin.destroyed) a.child.stdin.write("done\n");
      const m = /^(announce|withdraw) route (\S+) /.exec(line);
      const w = m && waiting.get(`${m[1]} ${m[2]}`);
      if (w) {
        waiting.delete(`${m[1]} ${m[2]}`);
        w();
      }
    }
  });
  const expect = (verb, i, ms = 10_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${verb} of ${vip(i)} within ${ms} ms`)), ms);
      waiting.set(`${verb} ${vip(i)}`, () => {
        clearTimeout(t);
        resolve();
      });
    });
  await Promise.all(backends.map((_, i) => expect("announce", i)));
  let done = 0;
  const s = sampler(a.child.pid, sampleMs, () => ({ flaps: done }), memFile);
  const t0 = performance.now();
  const deadline = seconds > 0 ? t0 + seconds * 1000 : Infinity;
  let neighborUps = 0;
  const worker = async (i) => {
    for (let mine = 0; done < flaps && performance.now() < deadline; mine++) {
      // Paced: `rate` flaps a second over all apps (0: as fast as they go).
      if (rate > 0) {
        const ahead = t0 + ((mine * apps + i) / rate) * 1000 - performance.now();
        if (ahead > 0) await sleep(ahead);
      }
      const down = expect("withdraw", i);
      await backends[i].stop();
      await down;
      const up = expect("announce", i);
      await backends[i].start();
      await up;
      done++;
      // Now and then ExaBGP says a neighbor came up: the full set is written again.
      if (done % 1000 === 0) {
        a.child.stdin.write("neighbor 127.0.0.1 up\n");
        neighborUps++;
      }
    }
  };
  let error;
  await Promise.all(backends.map((_, i) => worker(i))).catch((e) => (error = e));
  const flapMs = performance.now() - t0;
  const samples = await s.stop();
  // The end: everything UP; `shutdown` withdraws every VIP and exits 0.
  const withdrawn = Promise.all(backends.map((_, i) => expect("withdraw", i).catch((e) => (error ??= e))));
  a.child.stdin.write("shutdown\n");
  await withdrawn;
  const exit = await a.exited;
  for (const b of backends) await b.stop();
  return { flaps: done, flapMs, commands, malformed, neighborUps, exit, samples, error, tail, stderr: a.stderr() };
}

