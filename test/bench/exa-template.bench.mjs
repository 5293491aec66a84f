// exa-template (Ruby, ../shared/peers/exa-template-src.tar.gz; it renders on
// every update) against the listener, on the same 3k and 30k service routes:
// each program is started, given the whole stream on stdin (stdin stays open,
// as under ExaBGP), and timed until its file holds every route. exa-template
// reads ExaBGP 3.4's JSON (`next-hop → {prefix: {}}`) and crashes on 4.x's, so
// it gets the same routes in the 3.4 shape. Both render the same template (the
// README's: exa-template's own example, in ERB and in EJS). Both as shipped:
// exa-template waits for stdin to be quiet 5 s (its route_refresh) before it
// processes what it read, the listener 200 ms (its debounce) before it
// renders; a second ratio leaves those waits out. exa-template is given
// BENCH_EXA_TEMPLATE_S seconds at most (it is quadratic: every update
// re-renders every route so far); a run cut short gives a lower bound.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { announceLine, rng, stateLine } from "./generate.mjs";
import { fmt, verdict } from "./measure.mjs";

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const peers = here("../../../shared/peers");
const listenerBin = here("../../packages/listener/bin/exacast-listener.js");
const seedTemplate = here("../../examples/seed.ejs");
const LIMIT_S = Number(process.env.BENCH_EXA_TEMPLATE_S ?? 30);
const seed = Number(process.env.BENCH_SEED ?? Date.now() % 2 ** 31);

if (spawnSync("ruby", ["--version"]).status !== 0) {
  console.log("MISS  exa-template: ruby is not installed (scripts/ensure.sh bench installs it)");
  process.exit(1);
}
const dir = mkdtempSync(`${tmpdir()}/exacast-bench-exa-template-`);
spawnSync("tar", ["xzf", `${peers}/exa-template-src.tar.gz`, "-C", dir]);
const lib = `${dir}/exa-template/lib`;
writeFileSync(`${dir}/run.rb`, "$LOAD_PATH.unshift(ARGV[2])\nrequire 'exa-template'\nExaTemplate.new(ARGV[0], ARGV[1]).parse_events\n");
// exa-template's README template; the listener's examples/seed.ejs is the same in EJS.
writeFileSync(
  `${dir}/services.erb`,
  "<% services.each do |port, ips| %>\nservice_<%= port %>\n  listen 127.0.0.1:<%= port %>\n  <%- ips.each do |ip| -%>\n  backend <%= ip.split('/')[0] %>:<%= port %>\n  <%- end -%>\n<% end %>\n",
);

/** `n` service routes over 50 ports, one per update (as a route server sends hosts' routes): 4.2 and 3.4 shapes. */
function streams(n) {
  const random = rng(seed + n);
  const routes = Array.from({ length: n }, (_, i) => ({ prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`, port: 8000 + Math.floor(random() * 50) }));
  const v42 = [stateLine(1, { state: "up" }), ...routes.map((r, i) => announceLine(i + 2, { prefix: r.prefix, communities: [[12345, r.port]] }))];
  const v34 = routes.map((r, i) =>
    JSON.stringify({
      exabgp: "3.4.8",
      time: 1795327079 + i,
      type: "update",
      neighbor: {
        address: { local: "127.0.0.3", peer: "127.0.0.1" },
        asn: { local: 65001, peer: 64999 },
        message: { update: { attribute: { origin: "igp", "as-path": [64999, 65000], "confederation-path": [], community: [[12345, r.port]] }, announce: { "ipv4 unicast": { "192.0.2.2": { [r.prefix]: {} } } } } },
      },
    }),
  );
  return { v42: v42.join("\n") + "\n", v34: v34.join("\n") + "\n" };
}

/** Start `cmd`, write `input` to its stdin (left open), poll `out` until it names `n` backends. ms, or undefined at the limit (with how many it had). */
function timeToFile(cmd, args, input, out, n, limitMs) {
  return new Promise((resolve) => {
    rmSync(out, { force: true });
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["pipe", "ignore", "ignore"], cwd: dir });
    child.stdin.on("error", () => {});
    child.stdin.write(input);
    let have = 0;
    const poll = setInterval(() => {
      let text = "";
      try {
        text = readFileSync(out, "utf8");
      } catch {
        return;
      }
      have = text.split("\n  backend ").length - 1;
      const ms = performance.now() - t0;
      if (have >= n || ms > limitMs) {
        clearInterval(poll);
        child.kill("SIGKILL");
        resolve({ ms: have >= n ? ms : undefined, have });
      }
    }, 20);
  });
}

let ok = true;
console.log(`seed ${seed}; exa-template given ${LIMIT_S} s at most; both keep stdin open, timed from start to a complete file`);
for (const n of [3000, 30000]) {
  const { v42, v34 } = streams(n);
  mkdirSync(`${dir}/${n}`);
  const listener = await timeToFile(process.execPath, [listenerBin, "--template", `${seedTemplate}:${dir}/${n}/listener.txt`], v42, `${dir}/${n}/listener.txt`, n, 60_000);
  const ruby = await timeToFile("ruby", [`${dir}/run.rb`, `${dir}/services.erb`, `${dir}/${n}/exa-template.txt`, lib], v34, `${dir}/${n}/exa-template.txt`, n, LIMIT_S * 1000);
  if (listener.ms === undefined) throw new Error(`the listener's file never held the ${n} routes`);
  const same = ruby.ms === undefined || readFileSync(`${dir}/${n}/listener.txt`, "utf8").split("\n").filter((l) => l.startsWith("  backend")).sort().join() === readFileSync(`${dir}/${n}/exa-template.txt`, "utf8").split("\n").filter((l) => l.startsWith("  backend")).sort().join();
  console.log(`\n${fmt(n)} service routes (one an update, 50 ports):`);
  console.log(`  listener   : every route in its file after ${fmt(listener.ms)} ms`);
  if (ruby.ms !== undefined) console.log(`  exa-template: after ${fmt(ruby.ms)} ms${same ? " (the same backends)" : " — DIFFERENT backends"}`);
  else console.log(`  exa-template: ${fmt(ruby.have)} of ${fmt(n)} routes in its file after ${LIMIT_S} s, stopped there`);
  const rubyMs = ruby.ms ?? LIMIT_S * 1000;
  const bound = ruby.ms === undefined ? " (lower bound)" : "";
  const name = `exa-template / listener, ${fmt(n)} routes${bound}`;
  if (n === 3000) ok = verdict(name, rubyMs / listener.ms, 50, { unit: "×" }) && same && ok;
  else console.log(`INFO  ${name}: ${(rubyMs / listener.ms).toFixed(1)}×`);
  console.log(`INFO  ${name}, their quiet-input waits (5 s, 200 ms) left out: ${((rubyMs - 5000) / (listener.ms - 200)).toFixed(1)}×`);
}
rmSync(dir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
