#!/usr/bin/env node
// An ExaBGP API process for the scale benchmark: announces the service routes
// of hosts FIRST … FIRST+COUNT-1, PORTS each (host h: next-hop 100.(64+h>>8).(h&255).1,
// VIP k: 10.(h>>8).(h&255).(k+1)/32 with 12345:(8000+k)), as fast as ExaBGP
// takes them, then stays until ExaBGP closes its stdin.
const [first, count, ports] = process.argv.slice(2).map(Number);
let text = "";
for (let h = first; h < first + count; h++) {
  for (let k = 0; k < ports; k++) {
    text += `announce route 10.${h >> 8}.${h & 255}.${k + 1}/32 next-hop 100.${64 + (h >> 8)}.${h & 255}.1 community [12345:${8000 + k}]\n`;
  }
}
process.stdout.write(text);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
