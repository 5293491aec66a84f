// Where templates run. A template is code: `<% while (true) {} %>` or one that
// allocates without bound must not stop the listener reading stdin (ExaBGP
// would block writing to it and its sessions drop at hold time), answering
// /status or signals, nor kill it. So templates run on a worker thread, with
// a heap cap (render_heap_mb) and a time limit (render_timeout): past either
// the thread is ended, the render fails as a template error, and a new thread
// takes the next one. One thread serves every template, kept between renders
// (starting one costs ~30 ms): it compiles each template once and is sent the
// services map once per render cycle, not once per template, as the JSON text
// the cycle made of it anyway (servicesJson).
//
// The inline runner renders on the calling thread: for unit tests on a fake
// clock and the `render` subcommand.

import { Worker } from "node:worker_threads";
import type { Clock, TimerHandle } from "@exacast/runtime";
import { realClock } from "@exacast/runtime";
import type { WorkerMessage, WorkerRequest } from "./render-worker.js";
import type { ServicesMap, TemplateData } from "./services.js";
import { servicesJson, templateData } from "./services.js";
import type { CompiledTemplate } from "./template.js";

export type RenderOutcome = { readonly seconds: number } & ({ readonly text: string } | { readonly error: string });

export interface TemplateRunner {
  render(template: CompiledTemplate, map: ServicesMap, vars: TemplateData["vars"]): Promise<RenderOutcome>;
  close(): Promise<void>;
}

export const inlineRunner: TemplateRunner = {
  async render(template, map, vars) {
    const t0 = performance.now();
    try {
      const text = template.render(templateData(map, vars));
      return { seconds: (performance.now() - t0) / 1000, text };
    } catch (e) {
      return { seconds: (performance.now() - t0) / 1000, error: (e as Error).message };
    }
  },
  close: async () => {},
};

export interface WorkerLimits {
  readonly timeoutMs: number;
  readonly heapMb: number;
}

/** A thread that does not load within this long is given up (a render fails, the next one tries a new thread). */
const START_TIMEOUT_MS = 30_000;

// Run from the TypeScript sources (vitest), the worker is the built one.
const WORKER_URL = import.meta.url.endsWith(".ts") ? new URL("../dist/render-worker.js", import.meta.url) : new URL("./render-worker.js", import.meta.url);

interface Pending {
  readonly id: number;
  readonly file: string;
  readonly done: (o: RenderOutcome) => void;
  readonly t0: number;
  timer: TimerHandle;
}

export class WorkerRunner implements TemplateRunner {
  private worker: Worker | undefined;
  /** Resolves once the current thread has loaded (true), or could not (false). */
  private ready: Promise<boolean> = Promise.resolve(false);
  /** Templates compiled in the current worker, by the key it knows them by. */
  private compiled = new WeakMap<CompiledTemplate, number>();
  private mapSent: ServicesMap | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private keys = 0;
  private ids = 0;

  constructor(
    private limits: WorkerLimits,
    private readonly clock: Clock = realClock,
  ) {}

  /** New limits (SIGHUP): a new heap cap needs a new thread. */
  setLimits(limits: WorkerLimits): void {
    if (limits.heapMb !== this.limits.heapMb) this.stop();
    this.limits = limits;
  }

  render(template: CompiledTemplate, map: ServicesMap, vars: TemplateData["vars"]): Promise<RenderOutcome> {
    // One render at a time: the thread answers in order, and a timeout ends it.
    const next = this.queue.then(() => this.renderNow(template, map, vars));
    this.queue = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    this.stop();
  }

  private async renderNow(template: CompiledTemplate, map: ServicesMap, vars: TemplateData["vars"]): Promise<RenderOutcome> {
    const t0 = this.clock.now();
    const w = this.thread();
    if (!(await this.ready) || this.worker !== w) return { seconds: (this.clock.now() - t0) / 1000, error: `${template.file}: the render thread did not start` };
    let key = this.compiled.get(template);
    if (key === undefined) {
      key = ++this.keys;
      this.compiled.set(template, key);
      this.post(w, { kind: "compile", key, text: template.text, file: template.file });
    }
    if (this.mapSent !== map) {
      this.post(w, { kind: "map", json: servicesJson(map) });
      this.mapSent = map;
    }
    const id = ++this.ids;
    return new Promise((done) => {
      const p: Pending = { id, file: template.file, done, t0: this.clock.now(), timer: undefined };
      p.timer = this.clock.setTimeout(() => {
        this.fail(`ran over render_timeout (${this.limits.timeoutMs} ms): stopped`);
        this.stop();
      }, this.limits.timeoutMs);
      this.pending = p;
      this.post(w, { kind: "render", id, key, vars });
    });
  }

  private post(w: Worker, m: WorkerRequest): void {
    w.postMessage(m);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb },
      // console.log in a template must not reach ExaBGP's API (our stdout): read and dropped.
      stdout: true,
    });
    w.stdout.resume();
    w.unref();
    let loaded: (ok: boolean) => void = () => {};
    this.ready = new Promise((resolve) => (loaded = resolve));
    const startTimer = this.clock.setTimeout(() => {
      loaded(false);
      if (this.worker === w) this.stop();
    }, START_TIMEOUT_MS);
    w.on("message", (r: WorkerMessage) => {
      if ("ready" in r) {
        this.clock.clearTimeout(startTimer);
        return loaded(true);
      }
      const p = this.pending;
      if (p === undefined || p.id !== r.id) return;
      this.pending = undefined;
      this.clock.clearTimeout(p.timer);
      p.done(r);
    });
    // Why it ended, for the render it was running (a thread this runner
    // stopped itself has already been forgotten: its exit says nothing).
    let ended: string | undefined;
    w.on("error", (e: Error & { code?: string }) => {
      ended ??= e.code === "ERR_WORKER_OUT_OF_MEMORY" ? `ran out of memory (render_heap_mb: ${this.limits.heapMb}): stopped` : `render thread failed: ${e.message}`;
    });
    w.on("exit", (code) => {
      this.clock.clearTimeout(startTimer);
      loaded(false);
      if (this.worker !== w) return;
      this.forget();
      this.fail(ended ?? `render thread exited (${code})`);
    });
    this.worker = w;
    return w;
  }

  private fail(why: string): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    this.clock.clearTimeout(p.timer);
    p.done({ seconds: (this.clock.now() - p.t0) / 1000, error: `${p.file}: ${why}` });
  }

  private stop(): void {
    const w = this.worker;
    if (w === undefined) return;
    this.forget();
    void w.terminate();
  }

  private forget(): void {
    this.worker = undefined;
    this.compiled = new WeakMap();
    this.mapSent = undefined;
  }
}
