// The listener reads stdin on a thread of its own: while a render keeps its
// main thread busy, what ExaBGP writes is still taken off the pipe (ExaBGP
// blocks on a process that stops reading), and every line is applied after.

import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { announce, state, withdraw } from "../../packages/listener/test/exa-lines.js";
import { Lab } from "../harness/index.js";
import { ListenerProcess } from "../harness/listener.js";

const lab = new Lab("listener-stdin-thread");
afterAll(() => lab.close());

const RENDER_MS = 2000;

describe("exacast-listener stdin", () => {
  it("is read while a render keeps the main thread busy", async () => {
    onTestFailed(() => console.log(lab.report()));
    // A template that holds the main thread for RENDER_MS, saying on stderr when it starts.
    const slow = `${lab.dir}/slow.ejs`;
    writeFileSync(slow, `<% process.stderr.write("render_begins\\n"); const until = Date.now() + ${RENDER_MS}; while (Date.now() < until) {} %><%= ports.join(",") %>\n`);
    const out = `${lab.dir}/out.txt`;
    const l = new ListenerProcess(lab, ["--template", `${slow}:${out}`, "--debounce", "50ms"]);
    l.write(state("up"), announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }));
    await l.waitLog(/render_begins/);

    // 16 MB of routes that are not services (skipped unparsed), then one that is: far more than a pipe holds.
    const filler = announce({ prefixes: ["1.2.3.0/24"], communities: [[3356, 2]] }) + "\n";
    const batch = filler.repeat(Math.ceil((1 << 20) / filler.length));
    const t0 = performance.now();
    for (let i = 0; i < 16; i++) await l.writeRaw(batch);
    await l.writeRaw(withdraw(["10.0.0.1/32"]) + "\n" + announce({ prefixes: ["10.0.0.2/32"], communities: [[12345, 80]] }) + "\n");
    const tookMs = performance.now() - t0;

    // All of it left the pipe while the render still ran.
    expect(l.stderr).not.toMatch(/file_written/);
    expect(tookMs).toBeLessThan(RENDER_MS / 2);
    // And every line is applied once the main thread is free.
    l.end();
    expect(await l.exited).toEqual({ code: 0, signal: null });
    expect(readFileSync(out, "utf8")).toBe("80\n");
    expect(l.stderr).toMatch(new RegExp(`exit lines=${2 + 16 * Math.ceil((1 << 20) / filler.length) + 2} `));
  });
});
