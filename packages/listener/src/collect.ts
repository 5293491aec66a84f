// After a render of a big map the heap holds the previous map, the template's
// lists and output and the file it replaced: garbage V8 collects when it sees
// fit. At 100k routes, renders every max_wait of a flood took the listener to
// 310 MB RSS where 200 MB hold it. One full collection right after such a
// render (tens of ms; stdin is read on its own thread meanwhile) keeps it there.
// V8 offers no call for it but the gc function of --expose-gc, which can be
// switched on once running.

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
