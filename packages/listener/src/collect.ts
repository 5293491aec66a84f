// After a render of a big map the heaps (the main thread's and the render
// thread's) hold the previous map, its JSON, the template's output: garbage
// V8 collects when it sees fit. At 100k routes, renders every max_wait of a
// flood took the listener from ~190 to ~310 MB RSS (before the render thread;
// with it, collecting in both threads took the peak from 456 to 419 MB). One
// full collection right after such a render (tens of ms; stdin is read on its
// own thread meanwhile) keeps it down. V8 offers no call for it but the gc
// function of --expose-gc, which can be switched on once running.

import { createRequire } from "node:module";

const BIG = 20_000;
let gc: (() => void) | null | undefined;

export function collectAfterRender(routes: number): void {
  if (routes < BIG) return;
  if (gc === undefined) {
    try {
      const require = createRequire(import.meta.url);
      (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--expose-gc");
      gc = (require("node:vm") as typeof import("node:vm")).runInNewContext("gc") as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
