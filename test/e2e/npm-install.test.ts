// The npm tarballs (`npm run package:npm`, scripts/pack-npm.mjs) install
// with `npm install -g` into a temporary prefix with no registry at all
// (--offline, an empty cache, a registry address where nothing listens): the
// @exacast/* packages are not on the registry and must never be asked for.
// The installed programs then run: --version, check, render, status --help.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bin, freePort, Lab, repoRoot } from "../harness/index.js";
import { run } from "./system-package.js";

const version = (JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8")) as { version: string }).version;
const lab = new Lab("npm-install");
const prefix = `${lab.dir}/prefix`;
const installed = (program: string) => `${prefix}/bin/${program}`;
let installOut = "";

beforeAll(async () => {
  const packed = await run([process.execPath, `${repoRoot}/scripts/pack-npm.mjs`, "--out", lab.dir], { timeout: 60_000 });
  if (packed.code !== 0) throw new Error(`pack-npm.mjs failed: ${packed.err}`);
  const tarballs = readdirSync(lab.dir).filter((f) => f.endsWith(".tgz"));
  const npmrc = `${lab.dir}/npmrc`;
  writeFileSync(npmrc, "");
  const nowhere = `http://127.0.0.1:${await freePort()}/`;
  const r = await run(
    ["npm", "install", "-g", "--prefix", prefix, "--offline", "--cache", `${lab.dir}/npm-cache`, "--registry", nowhere, "--userconfig", npmrc, "--no-audit", "--no-fund", "--loglevel", "error", ...tarballs.map((t) => `${lab.dir}/${t}`)],
    { timeout: 120_000 },
  );
  installOut = r.out + r.err;
  if (r.code !== 0) throw new Error(`npm install -g failed (${r.code}): ${installOut}`);
}, 180_000);
afterAll(() => lab.close());

describe("npm install -g of the packed programs, offline", () => {
  it("packs one tarball per program, every dependency bundled", () => {
    expect(readdirSync(lab.dir).filter((f) => f.endsWith(".tgz")).sort()).toEqual([`exacast-announcer-${version}.tgz`, `exacast-listener-${version}.tgz`]);
    for (const p of ["announcer", "listener"]) {
      const pkg = JSON.parse(readFileSync(`${prefix}/lib/node_modules/@exacast/${p}/package.json`, "utf8")) as { bundleDependencies: string[]; dependencies: Record<string, string> };
      expect(pkg.bundleDependencies).toEqual(Object.keys(pkg.dependencies).sort());
      expect(pkg.bundleDependencies).toContain("@exacast/core");
      const mods = readdirSync(`${prefix}/lib/node_modules/@exacast/${p}/node_modules`);
      for (const dev of ["vitest", "typescript", "fast-check", "@types"]) expect(mods).not.toContain(dev);
    }
  });

  it("runs the installed programs: --version, check, render, status --help", async () => {
    expect((await run([installed("exacast-announcer"), "--version"])).out).toBe(`exacast-announcer ${version}\n`);
    expect((await run([installed("exacast-listener"), "--version"])).out).toBe(`exacast-listener ${version}\n`);
    const check = await run([installed("exacast-announcer"), "check", "--config", `${repoRoot}/examples/announcer.yaml`]);
    // The same verdict as the checkout's own program gives the same example.
    const fromCheckout = await run([process.execPath, `${repoRoot}/packages/announcer/bin/exacast-announcer.js`, "check", "--config", `${repoRoot}/examples/announcer.yaml`]);
    expect(fromCheckout.out.split("\n")[0]).toMatch(/: valid, \d+ apps, \d+ VIPs$/);
    expect([check.code, check.out.split("\n")[0]]).toEqual([0, fromCheckout.out.split("\n")[0]]);
    const args = ["render", "--input", `${repoRoot}/test/fixtures/exabgp-4.2-route-server-session.ndjson`, "--template", `${repoRoot}/examples/haproxy.cfg.ejs`];
    const render = await run([installed("exacast-listener"), ...args]);
    expect(render.code).toBe(0);
    // The same text as the checkout's own build renders.
    expect(render.out).toBe((await run([...bin("exacast-listener"), ...args])).out);
    const help = await run([installed("exacast-listener"), "status", "--help"]);
    expect(help.out).toMatch(/^Usage: exacast-listener status /);
  });

  it("links the man pages", () => {
    expect(readdirSync(`${prefix}/share/man/man1`).sort()).toEqual(["exacast-announcer.1", "exacast-listener.1"]);
  });
});
