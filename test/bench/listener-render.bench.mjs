// Listener rendering: examples/haproxy.cfg.ejs over 1,000 ports × 16 backends
// (in process: the template's own copy of the map + EJS; and through the
// render thread the listener uses, a new map sent each time as in every render
// cycle), and a burst of 100k updates inside one debounce window through the
// real program: one render.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { parsePrefix } from "@exacast/core";
import { buildServices, compileTemplate, Rib, servicesJson, templateData, WorkerRunner } from "@exacast/listener";
import { announceLine, stateLine } from "./generate.mjs";
import { fmt, timeMedian, verdict } from "./measure.mjs";

const PORTS = 1000;
const BACKENDS = 16;
const BURST = 100_000;
const listenerBin = fileURLToPath(new URL("../../packages/listener/bin/exacast-listener.js", import.meta.url));
const haproxy = fileURLToPath(new URL("../../examples/haproxy.cfg.ejs", import.meta.url));

// 1,000 ports, each with 16 backends of its own (16,000 routes).
const rib = new Rib({ communityAsn: 12345, maxRoutes: 1_000_000 });
const attrs = (port) => ({ communities: [[12345, port]], largeCommunities: [], extendedCommunities: [] });
for (let p = 0; p < PORTS; p++) {
  for (let b = 0; b < BACKENDS; b++) {
    const n = p * BACKENDS + b;
    rib.announce("127.0.0.1", parsePrefix(`10.${n >> 16}.${(n >> 8) & 255}.${n & 255}/32`).value, 0, "192.0.2.2", attrs(10000 + p));
  }
}
const t = compileTemplate(readFileSync(haproxy, "utf8"), haproxy);
if (!t.ok) throw new Error(t.error);
let map;
const tBuild = timeMedian(() => (map = buildServices(rib.routes())));
let text = "";
const tRender = timeMedian(() => (text = t.value.render(templateData(map))), 15);
console.log(`map: ${fmt(PORTS)} ports × ${BACKENDS} backends; built from the RIB in ${tBuild.toFixed(1)} ms`);
console.log(`haproxy.cfg.ejs: ${fmt(text.length)} bytes, ${fmt(text.split("\n").length)} lines, rendered in ${tRender.toFixed(1)} ms (median)`);
let ok = verdict("render 1,000 ports × 16 backends", Number(tRender.toFixed(1)), 20, { higherIsBetter: false, unit: " ms" });

// The same through the render thread: the thread is kept, the template compiled there once; each
// render cycle sends a new map (encoded, decoded, copied for the template) before rendering.
const runner = new WorkerRunner({ timeoutMs: 10_000, heapMb: 1024 });
await runner.render(t.value, map, {});
const threaded = [];
for (let i = 0; i < 15; i++) {
  const fresh = buildServices(rib.routes());
  servicesJson(fresh); // the render cycle makes it for the state file, before the templates
  const t0 = performance.now();
  const r = await runner.render(t.value, fresh, {});
  threaded.push(performance.now() - t0);
  if (r.text !== text) throw new Error("the render thread rendered another text");
}
await runner.close();
const tThread = threaded.sort((a, b) => a - b)[threaded.length >> 1];
console.log(`through the render thread, a new map each time: ${tThread.toFixed(1)} ms (median)`);
ok = verdict("render 1,000 ports × 16 backends on the render thread", Number(tThread.toFixed(1)), 100, { higherIsBetter: false, unit: " ms" }) && ok;

// The burst: 100k updates (the same 1,000 routes moved between two ports, over
// and over) written at once; the reload command counts renders.
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-render-`);
writeFileSync(`${dir}/small.ejs`, "<% for (const p of ports) { %><%= p %> <%= services[p].length %>\n<% } %>");
const counter = `${dir}/renders`;
writeFileSync(counter, "");
const lines = [stateLine(1, { state: "up" })];
for (let i = 0; lines.length <= BURST; i++) {
  const k = i % 1000;
  lines.push(announceLine(lines.length + 1, { prefix: `10.1.${k >> 8}.${k & 255}/32`, communities: [[12345, (i / 1000) % 2 ? 80 : 443]] }));
}
const child = spawn(process.execPath, [listenerBin, "--template", `${dir}/small.ejs:${dir}/out.txt`, "--debounce", "200ms", "--reload", `echo render >> ${counter}`], {
  stdio: ["pipe", "ignore", "pipe"],
});
let err = "";
child.stderr.on("data", (d) => (err += d));
const t0 = performance.now();
const written = new Promise((resolve) => child.stdin.write(lines.join("\n") + "\n", resolve));
await written;
// Stdin stays open (as under ExaBGP): wait for the debounced render, then for quiet.
const renders = () => readFileSync(counter, "utf8").split("\n").filter(Boolean).length;
while (renders() === 0 && performance.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
const tFirst = performance.now() - t0;
await new Promise((r) => setTimeout(r, 1000));
const count = renders();
child.stdin.end();
await new Promise((r) => child.on("exit", r));
const final = readFileSync(`${dir}/out.txt`, "utf8");
rmSync(dir, { recursive: true, force: true });
console.log(`burst: ${fmt(BURST)} updates written at once; first render ${fmt(tFirst)} ms after the write began; ${count} render(s); final file ${JSON.stringify(final)}`);
ok = verdict("renders for a burst of 100k updates in one debounce window", count, 1, { higherIsBetter: false }) && ok;
if (final !== (((BURST - 1) / 1000) % 2 ? "80 1000\n" : "443 1000\n")) {
  console.log(`unexpected final file (listener log tail: ${err.slice(-500)})`);
  ok = false;
}
process.exit(ok ? 0 : 1);
