// Preloaded into the programs a soak measures (node --expose-gc --import this):
// SIGUSR2 runs full garbage collections and appends the memory figures that
// follow to $EXACAST_SOAK_MEMFILE, for RSS read then to show what the program
// holds, not where V8's collection cycle happens to be (between two major
// collections the old generation fills with tens of MB of garbage, and RSS
// with it). Two collections a moment apart (the first frees the objects, the
// second the pages it emptied), then a pause for V8's background thread to
// hand the pages back to the system. Measurement only: the programs' own code
// is unchanged.
import { appendFileSync } from "node:fs";

const file = process.env.EXACAST_SOAK_MEMFILE;
const settleMs = Number(process.env.EXACAST_SOAK_GC_SETTLE_MS ?? 200);
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  setTimeout(() => {
    globalThis.gc?.();
    const { heapUsed, heapTotal, external } = process.memoryUsage();
    setTimeout(() => file && appendFileSync(file, `${JSON.stringify({ heapUsed, heapTotal, external })}\n`), settleMs);
  }, 50);
});
