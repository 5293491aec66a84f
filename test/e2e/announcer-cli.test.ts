// The built exacast-announcer's command line: `check`, and configs refused
// with exit 2 and every problem by its path (hostile values included).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { bin } from "../harness/index.js";

const dir = mkdtempSync(`${tmpdir()}/exacast-cli-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
  const [node, script] = bin("exacast-announcer");
  const r = spawnSync(node!, [script!, ...args], { input, encoding: "utf8", timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function config(name: string, text: string): string {
  const file = `${dir}/${name}.yaml`;
  writeFileSync(file, text);
  return file;
}

describe("exacast-announcer check", () => {
  it("prints the apps it would run and exits 0", () => {
    const file = config(
      "good",
      'next_hop: 192.0.2.2\napps:\n  - { name: web, vip: 10.255.255.1/32, ports: [443, 80], checks: [{ tcp: "127.0.0.1:443" }] }\n',
    );
    const r = run(["check", "--config", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid, 1 app, 1 VIP");
    expect(r.stdout).toContain("app web");
    expect(r.stdout).toContain("    - tcp 127.0.0.1:443");
    expect(r.stdout).toContain("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:80 12345:443]");
    expect(r.stderr).toBe("");
  });
});

describe("hostile config values: exit 2, the bad key's path, nothing on stdout", () => {
  const cases: [string, string, RegExp][] = [
    ["a name with a newline", 'apps:\n  - name: "web\\nannounce route 6.6.6.6/32 next-hop self"\n    vip: 10.255.255.1/32\n', /: apps\[0\]\.name: expected 1-64 characters/],
    ["a VIP with a command in it", 'apps:\n  - name: web\n    vip: "1.2.3.4/32 next-hop 6.6.6.6"\n', /: apps\[0\]\.vip: invalid prefix "1\.2\.3\.4\/32 next-hop 6\.6\.6\.6"/],
    ["community 65536:1", 'communities: ["65536:1"]\n', /: communities\[0\]: invalid community "65536:1"/],
    ["an app's community 65536:1", 'apps:\n  - { name: web, vip: 10.0.0.1/32, communities: ["65536:1"] }\n', /: apps\[0\]\.communities\[0\]: invalid community "65536:1"/],
    ["port 0", "apps:\n  - { name: web, vip: 10.0.0.1/32, ports: [0] }\n", /: apps\[0\]\.ports\[0\]: expected a port number 1\.\.65535/],
    ["port 70000", "apps:\n  - { name: web, vip: 10.0.0.1/32, ports: [443, 70000] }\n", /: apps\[0\]\.ports\[1\]: expected a port number 1\.\.65535/],
  ];
  for (const [what, text, want] of cases) {
    it(what, () => {
      const file = config(what.replace(/\W+/g, "-"), text);
      for (const args of [["check", "--config", file], ["--config", file]]) {
        const r = run(args);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(want);
        expect(r.stderr.startsWith(`exacast-announcer: ${file}: `)).toBe(true);
      }
    });
  }

  it("every problem at once, one line each", () => {
    const file = config("many", 'communities: ["65536:1"]\napps:\n  - { name: "a b", vip: "10.0.0.1/33", ports: [0, 70000] }\n');
    const r = run(["check", "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").map((l) => l.replace(`exacast-announcer: ${file}: `, "").split(":")[0])).toEqual([
      "communities[0]",
      "apps[0].name",
      "apps[0].vip",
      "apps[0].ports[0]",
      "apps[0].ports[1]",
    ]);
  });

  it("usage errors exit 2 too", () => {
    expect(run([]).code).toBe(2);
    expect(run(["check"]).stderr).toMatch(/--config FILE is required/);
    expect(run(["frobnicate", "--config", "x"]).code).toBe(2);
    expect(run(["--config", `${dir}/missing.yaml`]).stderr).toMatch(/cannot read .*missing\.yaml/);
    expect(run(["--bogus"]).code).toBe(2);
    expect(run(["--help"])).toMatchObject({ code: 0, stdout: expect.stringContaining("Usage: exacast-announcer") });
  });
});
