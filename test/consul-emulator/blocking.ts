// Blocking queries. Index-based (catalog and health endpoints): with
// `?index=N` the request hangs until the endpoint's index exceeds N or `wait`
// (default 5 min, at most 10 min, plus up to wait/16 jitter) runs out, then
// answers the current data and index — the same index when nothing changed.
// Hash-based (GET /v1/agent/service/:id): the same with `?hash=` and the
// X-Consul-ContentHash of the last answer. Every write wakes every waiter,
// which re-runs its query and goes back to sleep if its result did not move;
// a snapshot restore (rewindIndex) makes every waiter answer at once.

import { blockingWaitMs, parseGoDuration } from "./duration.js";
import { HttpError } from "./decode.js";
import type { AgentState } from "./state.js";

export interface BlockingContext {
  state: AgentState;
  query: URLSearchParams;
  /** Aborted when the client goes away or the emulator stops. */
  signal: AbortSignal;
  /** Counts requests currently hanging (tests wait for a client to block). */
  parked(delta: 1 | -1): void;
}

export interface WaitParams {
  minIndex: number;
  waitMs: number | undefined;
}

/** Consul's parseWait: a bad `wait` or `index` is a plain-text 400. */
export function parseWait(query: URLSearchParams): WaitParams {
  let waitMs: number | undefined;
  const wait = query.get("wait");
  if (wait) {
    waitMs = parseGoDuration(wait);
    if (waitMs === undefined) throw new HttpError(400, "Invalid wait time");
  }
  let minIndex = 0;
  const index = query.get("index");
  if (index) {
    if (!/^\d+$/.test(index) || BigInt(index) > 0xffff_ffff_ffff_ffffn) throw new HttpError(400, "Invalid index");
    minIndex = Number(index);
  }
  return { minIndex, waitMs };
}

function nextChange(ctx: BlockingContext, ms: number): Promise<boolean> {
  if (ms <= 0 || ctx.signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (changed: boolean) => {
      clearTimeout(timer);
      off();
      ctx.signal.removeEventListener("abort", onAbort);
      resolve(changed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    const off = ctx.state.onChange(() => done(true));
    ctx.signal.addEventListener("abort", onAbort);
  });
}

/** Runs `run` until `stale(result)` is false, a change is awaited between runs. */
async function block<T>(ctx: BlockingContext, params: WaitParams, run: () => T, stale: (r: T) => boolean): Promise<T> {
  let result = run();
  if (!stale(result)) return result;
  const deadline = Date.now() + blockingWaitMs(params.waitMs);
  const restores = ctx.state.restores;
  ctx.parked(1);
  try {
    while (stale(result) && (await nextChange(ctx, deadline - Date.now()))) {
      result = run();
      // A snapshot restore abandons every blocked query: it answers now, even with a lower index.
      if (ctx.state.restores !== restores) break;
    }
  } finally {
    ctx.parked(-1);
  }
  return result;
}

export function blockOnIndex<T>(ctx: BlockingContext, run: () => { index: number; body: T }): Promise<{ index: number; body: T }> {
  const params = parseWait(ctx.query);
  return block(ctx, params, run, (r) => params.minIndex > 0 && r.index <= params.minIndex);
}

export function blockOnHash<T>(ctx: BlockingContext, run: () => { hash: string; body: T }): Promise<{ hash: string; body: T }> {
  const params = parseWait(ctx.query);
  const hash = ctx.query.get("hash") ?? "";
  return block(ctx, params, run, (r) => hash !== "" && r.hash === hash);
}
