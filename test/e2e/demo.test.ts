// `npm run demo` is a test: it ends 0 by itself, its output shows the failover,
// and it leaves no process behind — also when interrupted with Ctrl-C.

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoRoot, waitFor } from "../harness/index.js";

interface Run {
  out: () => string;
  exit: Promise<number | null>;
  signal(sig: NodeJS.Signals): void;
}

function demo(): Run {
  const child = spawn(process.execPath, [`${repoRoot}/scripts/demo.mjs`], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return {
    out: () => out,
    exit: new Promise((resolve) => child.on("close", (code) => resolve(code))),
    signal: (sig) => child.kill(sig),
  };
}

/** Processes whose command line mentions the demo's lab folder. */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(dir)) found.push(`${pid}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

const labDir = (out: string) => /(\/\S*exacast-demo-[A-Za-z0-9]+)\//.exec(out)?.[1];

describe("npm run demo", () => {
  it("shows the whole loop and the failover, ends 0 by itself, cleans up", async () => {
    const run = demo();
    const code = await run.exit;
    const out = run.out();
    if (code !== 0) console.log(out);
    expect(code).toBe(0);
    const lines = out.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const steps = [
      /BGP session server-1 .* established/,
      /BGP session load balancer .* established/,
      /services map: \{"\d+":\["[\d.]+\.11\/32","[\d.]+\.12\/32"\]\}/,
      /10 requests through HAProxy .*"server-1":[1-9].*"server-2":[1-9]/,
      /server-1: backend stopped/,
      /server-1: exacast-announcer withdrew/,
      /services map: \{"\d+":\["[\d.]+\.12\/32"\]\}/,
      /10 requests through HAProxy: \{"server-2":10\} — failover complete/,
      /server-1: backend started again/,
      /10 requests through HAProxy: .*"server-1":[1-9]/,
      /demo OK/,
    ];
    let last = -1;
    for (const step of steps) {
      const i = at(step);
      expect(i, `output line ${step}`).toBeGreaterThan(last);
      last = i;
    }
    const seconds = Number(/whole loop: ([\d.]+) s/.exec(out)?.[1]);
    expect(seconds).toBeLessThan(60);
    expect(processesUsing(labDir(out)!)).toEqual([]);
  });

  it("Ctrl-C in the middle cleans up every process", async () => {
    const run = demo();
    await waitFor(() => /BGP session server-2 .* established/.test(run.out()), { what: "the demo under way", timeout: 30_000 });
    const dir = labDir(run.out())!;
    expect(processesUsing(dir).length).toBeGreaterThan(0);
    run.signal("SIGINT");
    expect(await run.exit).toBe(130);
    expect(run.out()).toContain("cleaned up every process");
    expect(processesUsing(dir)).toEqual([]);
  });
});
