// Templates on the worker thread: the same text as on this thread; a template
// that never ends or allocates without bound fails as a template error while
// this thread keeps running, and the next render gets a fresh thread. Runs the
// built worker (dist/render-worker.js): `npx tsc -b` first.

import { afterAll, describe, expect, it } from "vitest";
import { buildServices } from "../../src/services.js";
import type { Route } from "../../src/rib.js";
import { compileTemplate } from "../../src/template.js";
import { inlineRunner, WorkerRunner } from "../../src/template-runner.js";

const compile = (text: string, file = "/t/x.ejs") => {
  const t = compileTemplate(text, file);
  if (!t.ok) throw new Error(t.error);
  return t.value;
};
const LIST = compile("<% for (const p of ports) { %><%= p %>: <%= services[p].map(addr).join(' ') %> <%= vars.site %>\n<% } %>", "/t/list.ejs");
const LOOP = compile("<% while (true) {} %>", "/t/loop.ejs");
const HOG = compile("<% const a = []; for (;;) a.push(new Array(1e5).fill(a.length)); %>", "/t/hog.ejs");
const route = (p: string, port: number) => ({ prefix: { text: p, address: p.split("/")[0], family: 4, length: 32, sortKey: p }, ports: [port], neighbor: "n", pathId: 0, communities: [] }) as unknown as Route;
const map = buildServices([route("10.0.0.1/32", 443), route("10.0.0.2/32", 80)]);

const runner = new WorkerRunner({ timeoutMs: 1000, heapMb: 64 });
afterAll(() => runner.close());

/** Ticks of a 10 ms interval on this thread while `p` runs: it was never blocked. */
async function ticksDuring<T>(p: Promise<T>): Promise<[T, number]> {
  let ticks = 0;
  const t = setInterval(() => ticks++, 10);
  try {
    return [await p, ticks];
  } finally {
    clearInterval(t);
  }
}

describe("templates on a worker thread", () => {
  it("render as on this thread, vars and addr() included", async () => {
    const want = await inlineRunner.render(LIST, map, { site: "x" });
    expect(want).toMatchObject({ text: "80: 10.0.0.2 x\n443: 10.0.0.1 x\n" });
    expect(await runner.render(LIST, map, { site: "x" })).toMatchObject({ text: (want as { text: string }).text });
    expect(await runner.render(compile("<% throw new Error('no') %>"), map, {})).toMatchObject({ error: expect.stringContaining("no") });
  });

  it("a template that never ends fails at render_timeout; this thread kept running; the next render works", async () => {
    const t0 = Date.now();
    const [r, ticks] = await ticksDuring(runner.render(LOOP, map, {}));
    expect(r).toMatchObject({ error: "/t/loop.ejs: ran over render_timeout (1000 ms): stopped" });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ticks).toBeGreaterThan(30);
    expect(await runner.render(LIST, map, { site: "y" })).toMatchObject({ text: "80: 10.0.0.2 y\n443: 10.0.0.1 y\n" });
  });

  it("a template allocating without bound fails at the heap cap, not the process", async () => {
    const [r, ticks] = await ticksDuring(runner.render(HOG, map, {}));
    expect(r).toMatchObject({ error: expect.stringMatching(/^\/t\/hog\.ejs: (ran out of memory \(render_heap_mb: 64\)|ran over render_timeout)/) });
    expect(ticks).toBeGreaterThan(5);
    expect(await runner.render(LIST, map, { site: "z" })).toMatchObject({ text: "80: 10.0.0.2 z\n443: 10.0.0.1 z\n" });
  });
});
