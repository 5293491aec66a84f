#!/usr/bin/env node
// Run inside the benchmark's network namespace: `n` apps, each a pair of TCP
// listeners (one for each program compared, so neither sees the other's
// checks), on ports FIRST+i and FIRST+n+i. Prints "ready", then on each stdin
// line "stop i" closes app i's pair and prints "stopped i <wall-clock ms>".
import { createServer } from "node:net";
import { createInterface } from "node:readline";

const [n, first] = process.argv.slice(2).map(Number);
const listen = (port) =>
  new Promise((resolve, reject) => {
    const s = createServer((c) => c.on("error", () => {}).destroy());
    s.on("error", reject);
    s.listen(port, () => resolve(s));
  });
const apps = [];
for (let i = 0; i < n; i++) apps.push(await Promise.all([listen(first + i), listen(first + n + i)]));
process.stdout.write("ready\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const i = Number(line.split(" ")[1]);
  for (const s of apps[i]) s.close();
  process.stdout.write(`stopped ${i} ${(performance.timeOrigin + performance.now()).toFixed(1)}\n`);
});
process.stdin.on("end", () => process.exit(0));
