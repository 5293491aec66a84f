#!/usr/bin/env node
// Captures what a real ExaBGP writes to its processes, for test/fixtures/:
//   node scripts/capture-exabgp.mjs <5.0|main|4.2> [api 4|6] [router gobgp|frr-rs|bird-rs|frr-tor]
// (after `npx tsc -b`). ExaBGP "a" announces through the router to ExaBGP "b";
// b's JSON process and a's text process record what they are sent. The steps
// are those of test/fixtures/README.md; the files land in test/fixtures/.

import { copyFileSync, writeFileSync } from "node:fs";
import { Lab, exabgpRuntime, repoRoot, startRouter, waitFor } from "../test/harness/dist/index.js";

const [version = "5.0", apiArg, routerArg] = process.argv.slice(2);
const api = apiArg === "4" ? 4 : apiArg === "6" ? 6 : version === "main" ? 6 : 4;
const kind = routerArg ?? "gobgp";
const runtime = await exabgpRuntime(version);
if (typeof runtime === "string") throw new Error(runtime);
const v6 = (line) => (api === 6 ? `peer * ${line}` : line);

const lab = new Lab(`capture-${version}`);
const A = lab.addr(2);
const B = lab.addr(3);
const rs = await startRouter(kind, lab, { neighbors: [{ address: A, peerAs: 65000 }, { address: B, peerAs: 65001 }] });
const env = api === 4 && version === "main" ? { "exabgp.api.version": "4" } : {};
const cmd = await lab.commander("a");
const rec = lab.recorder("b");
lab.exabgp({ name: "a", address: A, asn: 65000, runtime, env, neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }], processes: [{ name: "cmd", run: cmd.run, encoder: "text" }] });
const b = lab.exabgp({
  name: "b",
  address: B,
  asn: 65001,
  runtime,
  env,
  neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
  processes: [{ name: "rec", run: rec.run, encoder: "json" }],
});
try {
  await Promise.all([rs.waitEstablished(A), rs.waitEstablished(B)]);
  await cmd.connected();
  await waitFor(() => rec.lines().some((l) => l.includes('"up"')), { what: "b's session up" });
  console.log(
    await cmd.command(
      v6("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443 12345:80 65000:1]"),
      v6("announce route 10.255.255.2/32 next-hop 192.0.2.2 med 100 community [12345:443]"),
      v6("announce route 2001:db8::123/128 next-hop 2001:db8::2 community [12345:443]"),
      v6("announce route 198.51.100.0/24 next-hop 192.0.2.2"),
      v6("announce route 10.255.255.3/32 next-hop 192.0.2.2 community [12345:8080]"),
      // The other dialect: refused by this API version.
      api === 6 ? "announce route 10.255.255.9/32 next-hop 192.0.2.2" : "peer * announce route 10.255.255.9/32 next-hop 192.0.2.2",
    ),
  );
  await waitFor(() => rec.lines().some((l) => l.includes("10.255.255.3/32")), { what: "last announce at b" });
  console.log(await cmd.command(v6("withdraw route 10.255.255.2/32 next-hop 192.0.2.2"), v6("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]")));
  await waitFor(() => rec.lines().filter((l) => l.includes("10.255.255.1/32")).length >= 2, { what: "replacement at b" });
  console.log(await cmd.command(v6("withdraw route 2001:db8::123/128 next-hop 2001:db8::2")));
  await waitFor(() => rec.lines().filter((l) => l.includes("2001:db8::123/128")).length >= 2, { what: "v6 withdraw at b" });
  // The router restarts: b's session goes down and comes back.
  const before = rec.lines().length;
  await rs.restart();
  const upAgain = () => rec.lines().findIndex((l, i) => i >= before && l.includes('"up"'));
  await waitFor(() => upAgain() >= 0, { what: "b's session back", timeout: 30_000 });
  await waitFor(() => rec.lines().slice(upAgain()).some((l) => l.includes('"nlri": "10.255.255.3/32"') && l.includes('"announce"')), { what: "routes back at b", timeout: 30_000 });
  // b stops as systemd stops it: what its process hears on the way down.
  await b.stop("SIGTERM");
  const name = `exabgp-${version}${version === "main" ? `-api${api}` : ""}-${kind}`;
  copyFileSync(rec.file, `${repoRoot}/test/fixtures/${name}.ndjson`);
  writeFileSync(`${repoRoot}/test/fixtures/${name}-announcer-stdin.txt`, cmd.received.join("\n") + "\n");
  console.log(`${runtime.describe}: wrote test/fixtures/${name}.ndjson (${rec.lines().length} lines)`);
} catch (e) {
  console.log(lab.report());
  throw e;
} finally {
  await lab.close();
}
