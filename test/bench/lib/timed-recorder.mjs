#!/usr/bin/env node
// The benchmarks' plain recorder, run by ExaBGP beside the listener: every line
// ExaBGP sends, written to the file named by its first argument behind the
// wall-clock time it was read (ms, sub-ms precision). No parsing: the floor of
// what receiving the routes costs.
import { createWriteStream } from "node:fs";

const out = createWriteStream(process.argv[2], { flags: "a" });
let rest = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  const at = (performance.timeOrigin + performance.now()).toFixed(1);
  const text = rest + chunk;
  const end = text.lastIndexOf("\n");
  if (end === -1) {
    rest = text;
    return;
  }
  rest = text.slice(end + 1);
  out.write(`${at} ${text.slice(0, end).split("\n").join(`\n${at} `)}\n`);
});
process.stdin.on("end", () => out.end(() => process.exit(0)));
