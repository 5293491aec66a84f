// Hostile stdin into the real bins. The listener: valid lines interleaved
// with mutated ones, invalid UTF-8, NUL bytes, CRLF, a 5 MB line; it keeps
// reading, exits 0 at EOF, and its file and state file hold exactly what the
// reference model (test/fuzz/model.ts) derives from the same bytes. The
// announcer (apps with tcp checks against real listeners, acked as ExaBGP
// does): mangled acks, near-shutdowns, neighbor events and JSON lines; every
// line it writes is a well-formed announce/withdraw, it keeps running, it
// answers a neighbor `up` with the full set, and a real `shutdown` ends it.

import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { isCommandLine, REFRESH_LINE } from "@exacast/core";
import { bin, freePort, Lab, waitFor } from "../harness/index.js";
import { TcpBackend } from "../harness/backend.js";
import { ScriptedProcess } from "../harness/scripted.js";
import { ReferenceModel } from "../fuzz/model.js";
import type { Random } from "../fuzz/mutate.js";
import { captureLines, mutate, mutateBytes, seeded } from "../fuzz/mutate.js";
import { ASN, validLine } from "../fuzz/streams.js";

const lab = new Lab("failures-stdin");
afterAll(() => lab.close());

const LISTENER_LINES = Number(process.env.EXACAST_STDIN_FUZZ_LINES ?? 20_000);
const ANNOUNCER_LINES = Number(process.env.EXACAST_STDIN_FUZZ_LINES ?? 20_000);
const SEED = Number(process.env.EXACAST_FUZZ_SEED ?? 20261124);
const BIG = 5 * 1024 * 1024;

/** Feed `chunks` with backpressure. */
async function pipe(p: ScriptedProcess, chunks: Buffer[]): Promise<void> {
  for (const c of chunks) await p.writeRaw(c);
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
}

describe("the listener bin under a mutated stream", () => {
  it(`${LISTENER_LINES} lines with invalid UTF-8, NUL bytes and a 5 MB line: keeps reading, exits 0 at EOF with the model's file`, { timeout: 120_000 }, async () => {
    onTestFailed(() => console.log(lab.report()));
    const r = seeded(SEED);
    const captures = captureLines();
    const chunks: Buffer[] = [];
    for (let i = 0; i < LISTENER_LINES; i++) {
      const x = r();
      if (i === Math.floor(LISTENER_LINES / 2)) chunks.push(Buffer.alloc(BIG, 0x7b), Buffer.from("\n"));
      else if (x < 0.45) chunks.push(Buffer.from(validLine(r) + "\n"));
      else if (x < 0.8) chunks.push(Buffer.from(mutate(r, r() < 0.5 ? validLine(r) : captures[Math.floor(r() * captures.length)]!) + "\n"));
      else if (x < 0.95) chunks.push(mutateBytes(r, r() < 0.5 ? validLine(r) : captures[Math.floor(r() * captures.length)]!), Buffer.from("\n"));
      else chunks.push(Buffer.from(pickJunk(r)));
    }
    chunks.push(Buffer.from(validLine(r))); // the last line has no newline
    const bytes = Buffer.concat(chunks);

    // What the listener must end with: decode as a whole, split, cap, model.
    const model = new ReferenceModel(ASN);
    let lines = 0;
    for (const raw of bytes.toString("utf8").split("\n")) {
      const line = raw.endsWith("\r") && raw.length <= 1 << 20 ? raw.slice(0, -1) : raw;
      if (line === "") continue;
      lines++;
      model.line(line);
    }
    const want = model.services();

    const out = `${lab.dir}/services.txt`;
    const state = `${lab.dir}/services.json`;
    const template = `${lab.dir}/t.ejs`;
    writeFileSync(template, "<% for (const p of ports) { %><%= p %>: <%= services[p].join(' ') %>\n<% } %>");
    const httpPort = await freePort();
    const config = `${lab.dir}/listener.yaml`;
    writeFileSync(
      config,
      `debounce: 50ms\nmax_wait: 500ms\nstale_grace: 0s\nstate_file: ${state}\nhttp: { listen: "127.0.0.1:${httpPort}" }\ntemplates: [{ source: ${template}, destination: ${out} }]\n`,
    );
    const [node, script] = bin("exacast-listener");
    const l = new ScriptedProcess(lab, node!, [script!, "--config", config], { name: "listener" });
    await l.waitLog(/ start /);
    const t0 = performance.now();
    await pipe(l, chunks);
    // Everything read (the last line waits for EOF), and still running.
    await waitFor(async () => (await metric(httpPort, "exacast_listener_lines_total")) === lines - 1, { what: `${lines - 1} lines read`, timeout: 60_000 });
    expect(l.running).toBe(true);
    expect(await metric(httpPort, 'exacast_listener_lines_rejected_total\\{reason="too_long"\\}')).toBe(1);
    l.end();
    expect(await l.exited).toEqual({ code: 0, signal: null });
    const ms = Math.round(performance.now() - t0);

    expect(readFileSync(out, "utf8")).toBe(want.ports.map((p) => `${p}: ${want.services[p]!.join(" ")}\n`).join(""));
    const got = JSON.parse(readFileSync(state, "utf8")) as { services: unknown; ports: unknown; backends: Record<string, Record<string, unknown>[]> };
    expect(got.services).toEqual(want.services);
    expect(got.ports).toEqual(want.ports);
    for (const [port, list] of Object.entries(want.backends)) expect(got.backends[port]).toEqual(list.map((b) => expect.objectContaining(b)));
    // Nothing reaches ExaBGP but the route refresh it asks for at start.
    expect(l.lines.filter((x) => !REFRESH_LINE.test(x))).toEqual([]);
    // Rejected lines are logged, 20 a minute at most, then counted.
    expect(l.stderr.match(/line_skipped/g)).toHaveLength(20);
    expect(l.stderr).not.toMatch(/unexpected_error/);
    console.log(
      `listener bin: ${lines} lines (${bytes.length} bytes, one of 5 MB) in ${ms} ms; model: ${model.valid} valid, ${model.refused} refused; ` +
        `final map ${want.ports.length} ports, ${Object.values(want.services).flat().length} prefixes`,
    );
  });
});

// Lines no ExaBGP writes: empty, blank, CRLF, control bytes, a lone brace. (Not `done`:
// ExaBGP's answer to the route refresh the listener asks for at start; a forged one makes it
// wait for routes that never come and keep its files as they are, see listener-restart.)
function pickJunk(r: Random): string {
  const junk = ["\n", "\r\n", "   \n", "\u0000\u0000\n", "{\n", "}\n", "[]\n", "null\n", '"x"\n', "\u001b[2J\n", "dome\n", "\ufeff{}\n"];
  return junk[Math.floor(r() * junk.length)]!;
}

/** Whether the announcer must take `line` as ExaBGP telling it to stop (kept out of the fuzz). */
function isShutdown(line: string): boolean {
  const t = line.trim();
  return /^shutdown(\s+\d+)*$/.test(t) || (t.startsWith("{") && t.includes("shutdown"));
}

const ACKS = ["done", "error", "done ", " done", "DONE", "Done", "don", "done done", "errors", "error: x", "done\r", "\tdone", "d\u0000one", "\u00a0error"];
const NEAR_SHUTDOWN = ["shutdown now", "shutdownx", "SHUTDOWN", "shutdown -1 2", "shutdown 1 x", "shut down", "shutdown:", "# shutdown"];
const NEIGHBOR = [
  "neighbor 127.0.0.1 up",
  "neighbor 127.0.0.1 connected",
  "neighbor 127.0.0.1 down - peer reset",
  "neighbor 127.0.0.1 down",
  "neighbor up",
  "neighbor 127.0.0.1 upp",
  "neighbor 127.0.0.1 up - forged",
  "neighbor 10.0.0.1\nannounce route 6.6.6.6/32 next-hop self",
  "neighbor ::1 up",
  "neighbor 127.0.0.1 down - \u0000\u00ff",
];

function announcerLine(r: Random, captures: string[]): Buffer {
  const x = r();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (x < 0.2) return Buffer.from(pick(ACKS));
  if (x < 0.3) return Buffer.from(pick(NEAR_SHUTDOWN));
  if (x < 0.45) return Buffer.from(r() < 0.5 ? pick(NEIGHBOR) : mutate(r, pick(NEIGHBOR)));
  if (x < 0.75) return Buffer.from(mutate(r, pick(captures)));
  if (x < 0.9) return mutateBytes(r, r() < 0.5 ? pick(captures) : pick([...ACKS, ...NEIGHBOR]));
  return Buffer.from(pickJunk(r).replace(/\n$/, ""));
}

describe("the announcer bin under mutated stdin", () => {
  const web = new TcpBackend();
  const api = new TcpBackend();
  const v6 = new TcpBackend();
  afterAll(async () => {
    await web.stop();
    await api.stop();
    await v6.stop();
  });

  it(`${ANNOUNCER_LINES} lines of mangled acks, neighbor events and JSON: only well-formed commands out, still running, full resend on up`, { timeout: 120_000 }, async () => {
    onTestFailed(() => console.log(lab.report()));
    await web.start();
    await api.start();
    await api.stop(); // api's port is known, nothing listens: DOWN
    await v6.start();
    const config = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      config,
      [
        "next_hop: [192.0.2.2, 2001:db8::2]",
        "interval: 100ms",
        "fast_interval: 50ms",
        "timeout: 300ms",
        "rise: 2",
        "fall: 2",
        "apps:",
        `  - { name: web, vip: 10.255.255.1/32, ports: [443], checks: [{ tcp: "127.0.0.1:${web.port}" }] }`,
        `  - { name: api, vip: 10.255.255.1/32, ports: [8443], checks: [{ tcp: "127.0.0.1:${api.port}" }] }`,
        `  - { name: v6, vip: "2001:db8::1/128", ports: [80], communities: ["65000:7"], med: 10, checks: [{ tcp: "127.0.0.1:${v6.port}" }] }`,
      ].join("\n") + "\n",
    );
    const [node, script] = bin("exacast-announcer");
    // ExaBGP's side: every command answered `done`.
    const a: ScriptedProcess = new ScriptedProcess(lab, node!, [script!, "--config", config], {
      name: "announcer",
      onLine: () => a.running && a.write("done"),
    });
    const WEB = "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]";
    const V6 = "announce route 2001:db8::1/128 next-hop 2001:db8::2 community [12345:80 65000:7] med 10";
    await a.waitLine(new RegExp(`^${WEB.replace(/[[\]./]/g, "\\$&")}$`));
    await a.waitLine(new RegExp(`^${V6.replace(/[[\]./]/g, "\\$&")}$`));

    const r = seeded(SEED);
    const captures = captureLines();
    let sent = 0;
    let dropped = 0;
    let flapAt = 0;
    let flaps = 0;
    const t0 = performance.now();
    for (let i = 0; i < ANNOUNCER_LINES; i++) {
      if (i === Math.floor(ANNOUNCER_LINES / 2)) {
        await a.writeRaw(Buffer.concat([Buffer.alloc(BIG, 0x64), Buffer.from("\n")]));
        continue;
      }
      const line = announcerLine(r, captures);
      if (line.toString("utf8").split("\n").some(isShutdown)) {
        dropped++;
        continue;
      }
      await a.writeRaw(Buffer.concat([line, Buffer.from("\n")]));
      sent++;
      // Backends flap while the noise goes on: commands are written mid-fuzz.
      if (i % 5000 === 2500) {
        flapAt = a.lines.length;
        await web.stop();
      }
      if (i % 5000 === 4000) await a.waitLine(/^withdraw route 10\.255\.255\.1\/32 /, flapAt);
      if (i % 5000 === 4001) {
        flapAt = a.lines.length;
        await web.start();
        flaps++;
      }
      if (i % 5000 === 4999) await a.waitLine(/^announce route 10\.255\.255\.1\/32 /, flapAt);
    }
    const mark = a.lines.length;
    expect(a.running).toBe(true);

    // A neighbor coming up gets the full set again.
    a.write("neighbor 127.0.0.1 up");
    await waitFor(() => {
      const after = a.lines.slice(mark);
      return after.includes(WEB) && after.includes(V6);
    }, { what: "full resend after neighbor up", timeout: 10_000 });
    expect(a.lines.every(isCommandLine), a.lines.filter((l) => !isCommandLine(l)).slice(0, 5).join("\n")).toBe(true);
    expect(a.unterminated).toBe("");
    expect(a.lines.some((l) => l.includes("8443"))).toBe(false);
    expect(a.stderr).not.toMatch(/unexpected|TypeError|RangeError/);

    // A real shutdown ends it: withdrawals, exit 0.
    const before = a.lines.length;
    a.write("shutdown");
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(a.lines.slice(before).sort()).toEqual(["withdraw route 10.255.255.1/32 next-hop 192.0.2.2", "withdraw route 2001:db8::1/128 next-hop 2001:db8::2"]);
    console.log(
      `announcer bin: ${sent} fuzz lines (+ one of 5 MB, ${dropped} real shutdowns left out) in ${Math.round(performance.now() - t0)} ms; ` +
        `${flaps} backend flaps, ${a.lines.length} commands written, all well-formed`,
    );
  });
});
