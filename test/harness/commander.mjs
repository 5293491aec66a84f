#!/usr/bin/env node
// An ExaBGP process driven by a test: it connects to the unix socket named by
// its first argument, writes whatever the test sends there to its stdout (the
// ExaBGP API), and sends back what ExaBGP writes to its stdin (acks, events).
import { connect } from "node:net";

const path = process.argv[2];
if (!path) {
  process.stderr.write("usage: commander.mjs SOCKET\n");
  process.exit(2);
}
const sock = connect(path);
sock.on("error", (e) => {
  process.stderr.write(`commander: ${e.message}\n`);
  process.exit(1);
});
sock.pipe(process.stdout);
process.stdin.pipe(sock);
process.stdin.on("end", () => sock.end());
sock.on("close", () => process.exit(0));
