// Core parser throughput: events per second on a generated 300k-line stream,
// beside the floor (the same line splitting + JSON.parse only).
import { LineSplitter, parseLine } from "@exacast/core";
import { ingestStream } from "./generate.mjs";
import { chunks, fmt, splitAndParse, timeMedians, verdict } from "./measure.mjs";

const LINES = 300_000;
const input = chunks(ingestStream(LINES).join("\n") + "\n");

const floor = () => splitAndParse(input);

function parser() {
  let events = 0;
  let errors = 0;
  const s = new LineSplitter({
    line: (l) => {
      const r = parseLine(l);
      if (r.ok) events += r.value.length;
      else errors++;
    },
  });
  for (const c of input) s.push(c);
  s.end();
  if (errors) throw new Error(`${errors} generated lines failed to parse`);
  return events;
}

const events = parser();
const [tFloor, tParser] = timeMedians(floor, parser);
const floorRate = (LINES / tFloor) * 1000;
const parserRate = (events / tParser) * 1000;
console.log(`stream: ${fmt(LINES)} lines, ${fmt(events)} events`);
console.log(`floor  (split + JSON.parse): ${fmt(floorRate)} lines/s  (${tFloor.toFixed(0)} ms)`);
console.log(`parser (split + parseLine) : ${fmt(parserRate)} events/s (${tParser.toFixed(0)} ms)`);
const ok = verdict("parser / floor", parserRate / floorRate, 0.6, { unit: "×" });
process.exit(ok ? 0 : 1);
