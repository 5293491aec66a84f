// `exacast-announcer status` and `exacast-listener status` against running
// programs: the tables an operator reads, --json for scripts, --url with the
// token from the environment, and exit 1 with the reason when the program
// cannot be reached or is not the one asked for.

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { bin, freePort, Lab } from "../harness/index.js";
import { startPrograms, TOKEN } from "./running-programs.js";
import type { RunningPrograms } from "./running-programs.js";

const lab = new Lab("status-command");
let p: RunningPrograms;

function run(program: "exacast-announcer" | "exacast-listener", args: string[], env: Record<string, string> = {}) {
  const [node, script] = bin(program);
  return new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(node!, [script!, "status", ...args], { env: { ...process.env, EXACAST_TOKEN: "", ...env }, timeout: 15_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, out, err }),
    );
  });
}

beforeAll(async () => {
  p = await startPrograms(lab);
});
afterAll(() => lab.close());

describe("exacast-announcer status", () => {
  it("prints the apps, their checks and the VIPs announced, reading address and token from the config", async () => {
    onTestFailed(() => console.log(lab.report()));
    const r = await run("exacast-announcer", ["--config", p.announcerConfig]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^exacast-announcer \d+\.\d+\.\d+\S* on \S+, pid \d+, up \S+$/);
    expect(r.out).toContain("Apps: 2 (1 UP), 1 VIP announced; 0 registered over HTTP\n");
    expect(r.out).toMatch(/^ExaBGP: (\d+) commands? written, \1 acks? \(0 errors, 0 timeouts\), 0 resends$/m);
    expect(r.out).toMatch(/^Consul: node edge1, UNREACHABLE for \S+ \(.*ECONNREFUSED.*\); 0 tagged services \(0 skipped\), \d+ query errors?$/m);
    expect(lines).toContainEqual(expect.stringMatching(/^App +Source +State +Since +VIPs +Ports +Reason$/));
    expect(lines).toContainEqual(expect.stringMatching(/^web +config +UP +\S+ +10\.255\.255\.1\/32 +80 443 +ok$/));
    expect(lines).toContainEqual(expect.stringMatching(/^dns +config +DOWN +\S+ +10\.255\.255\.53\/32 +53 +tcp: connection refused$/));
    expect(lines).toContainEqual(expect.stringMatching(/^web +tcp 127\.\d+\.\d+\.1:\d+ +pass +\d+\.\dms +connected$/));
    expect(lines).toContainEqual(expect.stringMatching(/^dns +tcp 127\.\d+\.\d+\.1:\d+ +fail +\d+\.\dms +connection refused$/));
    expect(lines).toContainEqual("10.255.255.1/32  next-hop 192.0.2.2 community [12345:80 12345:443]");
  });

  it("prints the JSON answer with --json", async () => {
    const r = await run("exacast-announcer", ["--config", p.announcerConfig, "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { program: string; apps: { name: string; state: string }[] };
    expect(s.program).toBe("exacast-announcer");
    expect(s.apps.map((a) => [a.name, a.state])).toEqual([
      ["dns", "DOWN"],
      ["web", "UP"],
    ]);
  });

  it("with --url, takes the token from EXACAST_TOKEN; without it, says 401 and exits 1", async () => {
    const refused = await run("exacast-announcer", ["--url", p.announcerUrl]);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(`exacast-announcer: ${p.announcerUrl}/status: 401 unauthorized: a token is needed (http.token in the config, or EXACAST_TOKEN with --url)\n`);
    const wrong = await run("exacast-announcer", ["--url", p.announcerUrl], { EXACAST_TOKEN: "not-it" });
    expect([wrong.code, wrong.err]).toEqual([1, `exacast-announcer: ${p.announcerUrl}/status: 401 unauthorized: the token was refused\n`]);
    const r = await run("exacast-announcer", ["--url", `${p.announcerUrl}/`], { EXACAST_TOKEN: TOKEN });
    expect(r.code).toBe(0);
    expect(r.out).toContain("Apps: 2 (1 UP)");
  });

  it("exits 1 naming the address when nothing answers there, or when it is the listener", async () => {
    const port = await freePort(lab.addr(1));
    const r = await run("exacast-announcer", ["--url", `http://${lab.addr(1)}:${port}`]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toBe(`exacast-announcer: cannot reach http://${lab.addr(1)}:${port}/status: ECONNREFUSED\n`);
    const other = await run("exacast-announcer", ["--url", p.listenerUrl]);
    expect(other.code).toBe(1);
    expect(other.err).toContain(`exacast-announcer: ${p.listenerUrl}/status does not answer as exacast-announcer does:\nexacast-announcer: program: `);
  });

  it("exits 2 for a config without http:, or none at all", async () => {
    const bare = `${lab.dir}/bare.yaml`;
    writeFileSync(bare, "apps: []\n");
    expect(await run("exacast-announcer", ["--config", bare])).toEqual({
      code: 2,
      out: "",
      err: `exacast-announcer: ${bare}: no http: section, so the announcer serves no /status (set http.listen, or give --url)\n`,
    });
    const missing = await run("exacast-announcer", ["--config", `${lab.dir}/nowhere.yaml`]);
    expect([missing.code, missing.err]).toEqual([2, `exacast-announcer: cannot read ${lab.dir}/nowhere.yaml: ENOENT (give --config FILE or --url URL)\n`]);
  });
});

describe("exacast-listener status", () => {
  it("prints neighbors, services and each template's last render", async () => {
    onTestFailed(() => console.log(lab.report()));
    const r = await run("exacast-listener", ["--config", p.listenerConfig]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^exacast-listener \d+\.\d+\.\d+\S* on \S+, pid \d+, up \S+$/);
    expect(lines[1]).toBe("Routes: 3 service routes from 2 neighbors (1 up), 2 service ports");
    expect(lines[2]).toMatch(/^Lines read: 6 \(\d+ skipped unparsed, 0 rejected\); templates: 2, 1 FAILING$/);
    expect(lines).toContainEqual(expect.stringMatching(/^127\.0\.0\.2 +up +\d+m?s +1 +0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^127\.0\.0\.3 +down +\S+ +2 +2$/));
    expect(lines).toContainEqual("80    1         1         10.255.255.1/32");
    expect(lines).toContainEqual("443   3         3         10.255.255.1/32 10.255.255.2/32 2001:db8::2/128");
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^services +written +\\S+ +${p.rendered}$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^refused +check_failed +\S+ +\S+refused\.txt +.*exit/));
  });

  it("answers --url and --json the same way", async () => {
    const r = await run("exacast-listener", ["--url", p.listenerUrl, "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { services: Record<string, string[]> };
    expect(s.services).toEqual({ "80": ["10.255.255.1/32"], "443": ["10.255.255.1/32", "10.255.255.2/32", "2001:db8::2/128"] });
  });

  it("exits 1 once the listener is gone", async () => {
    p.listener.signal("SIGTERM");
    await p.listener.exited;
    const r = await run("exacast-listener", ["--config", p.listenerConfig, "--timeout", "2s"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^exacast-listener: cannot reach http:\/\/127\.\d+\.\d+\.1:\d+\/status: ECONNREFUSED\n$/);
  });
});
