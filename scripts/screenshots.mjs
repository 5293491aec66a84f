#!/usr/bin/env node
// `npm run screenshots`: docs/status-announcer.png and docs/status-listener.png,
// the README's pictures of the status pages, taken by headless chromium from a
// real run on loopback (the site of test/harness/status-world.ts: an announcer
// and a listener under ExaBGP, a GoBGP route server). The listener's direct
// peer is stopped first, so its page shows stale routes with their grace.

import { readFileSync } from "node:fs";
import { Lab, repoRoot, screenshot, statusWorld, waitFor } from "../test/harness/dist/index.js";

const WIDTH = 1280;
const lab = new Lab("screenshots");
let code = 0;
try {
  const w = await statusWorld(lab);
  await w.peer.stop("SIGTERM");
  await waitFor(async () => (await (await fetch(`${w.listenerUrl}status`)).json()).stale.length === 2, { what: "the peer's routes stale", timeout: 20_000 });
  for (const [name, url, height] of [
    ["announcer", w.announcerUrl, 860],
    ["listener", w.listenerUrl, 960],
  ]) {
    const file = `${repoRoot}/docs/status-${name}.png`;
    await screenshot(url, file, WIDTH, height);
    console.log(`${file}: ${readFileSync(file).length} bytes`);
  }
} catch (e) {
  console.error(e);
  console.error(lab.report());
  code = 1;
} finally {
  await lab.close();
}
process.exit(code);
