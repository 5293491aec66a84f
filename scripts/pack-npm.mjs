#!/usr/bin/env node
// `npm run pack`: one npm tarball per program (exacast-announcer-<v>.tgz,
// exacast-listener-<v>.tgz) that installs with no registry at all:
//
//   npm install -g --offline ./exacast-announcer-0.1.0.tgz
//
// The @exacast/* workspace packages are not on the npm registry (and a
// registry must never be asked for them), so each tarball carries every
// dependency as a bundled one: the program is packed from a staging copy
// whose node_modules holds its production closure (scripts/lib/prod-tree.mjs)
// and whose package.json lists them all in bundleDependencies.
//
// Usage: node scripts/pack-npm.mjs [--out DIR]   (default: the repository root)

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { copyClosure, runtimeFile, workspaces } from "./lib/prod-tree.mjs";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const PROGRAMS = ["@exacast/announcer", "@exacast/listener"];

/** Pack one program; returns the tarball's path. */
export function packProgram(name, outDir) {
  const dir = workspaces(root).get(name);
  if (!dir) throw new Error(`no workspace package named ${name}`);
  // Outside the checkout: npm must not take the staging copy for one of its workspaces.
  const stage = mkdtempSync(join(tmpdir(), "exacast-pack-"));
  try {
    // Type declarations, source maps and TypeScript sources are not needed to run a program.
    copyClosure(root, [name], stage, { flatten: dir, keep: runtimeFile });
    const pkg = JSON.parse(readFileSync(join(stage, "package.json"), "utf8"));
    pkg.bundleDependencies = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).sort();
    delete pkg.devDependencies;
    delete pkg.scripts;
    writeFileSync(join(stage, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", outDir], { cwd: stage, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const [info] = JSON.parse(out);
    return { tarball: join(outDir, info.filename), size: info.size, files: info.entryCount, bundled: info.bundled.length };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  try {
    for (const p of PROGRAMS) {
      const r = packProgram(p, values.out ?? root);
      const shown = relative(process.cwd(), r.tarball);
      console.log(`${shown.startsWith("..") ? r.tarball : shown}: ${r.files} files (${r.bundled} bundled packages), ${Math.round(r.size / 1024)} KiB`);
    }
  } catch (e) {
    console.error(`pack: ${e.message}`);
    process.exit(1);
  }
}
