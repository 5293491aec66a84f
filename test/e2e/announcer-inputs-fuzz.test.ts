// The real exacast-announcer under fuzzed run-time input: hundreds of random
// HTTP requests (hostile PUT bodies, mutated bodies, GoCast queries, deletes,
// wrong tokens) and a Consul agent full of randomly tagged services. It keeps
// running, answers every request with a 2xx or 4xx, and every line it writes
// for ExaBGP is a well-formed announce/withdraw.

import { writeFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { isCommandLine } from "@exacast/core";
import { startConsulEmulator } from "../consul-emulator/index.js";
import type { ConsulEmulator } from "../consul-emulator/index.js";
import { appBody, consulService, goCastQuery, toSearchParams } from "../fuzz/announcer-inputs.fuzz.js";
import { mutate, seeded } from "../fuzz/mutate.js";
import { AnnouncerProcess, Lab, quietPort } from "../harness/index.js";

const SEED = Number(process.env.EXACAST_FUZZ_SEED ?? 20261122);
const REQUESTS = Number(process.env.EXACAST_FUZZ_REQUESTS ?? 600);
const SERVICES = Number(process.env.EXACAST_FUZZ_SERVICES ?? 150);
const TOKEN = "fuzz-token";

describe("announcer bin under fuzzed HTTP and Consul input", () => {
  const lab = new Lab("announcer-fuzz");
  let consul: ConsulEmulator;
  let proc: AnnouncerProcess;
  let base = "";

  beforeAll(async () => {
    consul = await startConsulEmulator();
    lab.onClose(() => consul.close());
    const host = lab.addr(5);
    const port = await quietPort([host]);
    base = `http://${host}:${port}`;
    const config = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      config,
      [
        "next_hop: [192.0.2.2, 2001:db8::2]",
        "interval: 300ms",
        "fast_interval: 100ms",
        "timeout: 300ms",
        "rise: 1",
        "fall: 1",
        `http: { listen: "${host}:${port}", token: ${TOKEN} }`,
        `consul: { address: "${consul.address}", interval: 200ms }`,
        "apps:",
        `  - { name: static, vip: 10.255.255.1/32, ports: [443], checks: [{ file_absent: ${lab.dir}/never } ] }`,
      ].join("\n") + "\n",
    );
    proc = new AnnouncerProcess(lab, ["--config", config]);
    await proc.waitLine(/^announce route 10\.255\.255\.1\/32 /);
    await proc.waitLog(/http_listening/);
  });

  afterAll(() => lab.close());

  it(`${REQUESTS} fuzzed requests: never a 5xx, never a malformed line`, async () => {
    onTestFailed(() => console.log(`seed ${SEED}\n${lab.report(30)}`));
    const bodies = fc.sample(appBody, { numRuns: REQUESTS, seed: SEED });
    const names = fc.sample(fc.oneof(fc.constantFrom("web", "api", "static", "a.b"), fc.string({ maxLength: 70 })), { numRuns: REQUESTS, seed: SEED + 1 });
    const queries = fc.sample(goCastQuery, { numRuns: REQUESTS, seed: SEED + 2 });
    const r = seeded(SEED);
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const name = encodeURIComponent(names[i]!);
      const auth = i % 17 === 0 ? "Bearer wrong" : `Bearer ${TOKEN}`;
      let res: Response;
      switch (i % 5) {
        case 0:
        case 1:
          res = await fetch(`${base}/v1/apps/${name}`, { method: "PUT", headers: { authorization: auth }, body: JSON.stringify(bodies[i]) ?? "null" });
          break;
        case 2: {
          const valid = JSON.stringify({ vip: `10.254.${i % 256}.1/32`, ports: [8000 + (i % 100)], checks: [{ file_absent: `${lab.dir}/never` }] });
          res = await fetch(`${base}/v1/apps/${name}`, { method: "PUT", headers: { authorization: auth }, body: mutate(r, valid) });
          break;
        }
        case 3:
          res = await fetch(`${base}/register?${toSearchParams(queries[i]!).toString()}`, { headers: { authorization: auth } });
          break;
        default:
          res = await fetch(`${base}/v1/apps/${name}`, { method: "DELETE", headers: { authorization: auth } });
      }
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `request ${i}`).toBeLessThan(500);
    }
    expect(proc.running).toBe(true);
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    console.log(`HTTP fuzz (seed ${SEED}): ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ${proc.lines.length} lines written`);
    expect(proc.lines.filter((l) => !isCommandLine(l))).toEqual([]);
    expect(proc.unterminated).toBe("");
  });

  it(`${SERVICES} randomly tagged Consul services: never a malformed line`, async () => {
    onTestFailed(() => console.log(`seed ${SEED}\n${lab.report(30)}`));
    let registered = 0;
    for (const svc of fc.sample(consulService, { numRuns: SERVICES, seed: SEED + 3 })) {
      try {
        consul.registerService({ ID: svc.id, Name: svc.name || "svc", Tags: [...svc.tags], Port: svc.port });
        registered++;
      } catch {
        /* the agent itself refuses it (an empty ID…): nothing to watch */
      }
    }
    // Changes are handled in order: once a last, valid service is announced,
    // every earlier one has been seen.
    consul.registerService({ ID: "sentinel", Name: "sentinel", Tags: ["exacast", "exacast_vip=10.253.0.1/32", "exacast_port=9", `exacast_check=http:http://127.0.0.1:1/`], Port: 9 });
    await proc.waitLog(/app_added app=consul-sentinel/, 20_000);
    expect(proc.running).toBe(true);
    console.log(`Consul fuzz (seed ${SEED}): ${registered} services registered, ${proc.lines.length} lines written in all`);
    expect(proc.lines.filter((l) => !isCommandLine(l))).toEqual([]);
    expect(proc.unterminated).toBe("");
  });

  it("still stops cleanly: shutdown withdraws, exit 0", async () => {
    onTestFailed(() => console.log(proc.lines.slice(-40).join("\n"), lab.report(80)));
    const before = proc.lines.length;
    proc.write("shutdown");
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    // What the fuzzed apps still announce may land just before or after the shutdown line;
    // what counts is where it ends: every VIP's last command is a withdraw, and one came after it.
    const last = new Map<string, string>();
    for (const l of proc.lines) {
      const m = /\b(announce|withdraw) route (\S+)/.exec(l);
      if (m) last.set(m[2]!, m[1]!);
    }
    expect([...last].filter(([, verb]) => verb !== "withdraw")).toEqual([]);
    expect(proc.lines.slice(before).some((l) => /\bwithdraw route /.test(l))).toBe(true);
    expect(proc.lines.filter((l) => !isCommandLine(l))).toEqual([]);
  });
});
