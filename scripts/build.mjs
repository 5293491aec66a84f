#!/usr/bin/env node
// npm run build: compile every workspace (tsc -b), then make each bin one
// CommonJS file (esbuild) and train V8's code cache for it by running the paths
// whose start-up people wait for. The bins (packages/*/bin/*.js) run the bundle
// when it is newer than the compiled code, and the compiled modules otherwise:
// a later `tsc -b` alone never leaves them running stale code.
//
// The training runs double as a smoke test: a bundle that cannot print its
// version, check the example config or render a capture fails the build.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE_HEADER = "// exacast bundle of: "; // as packages/core/src/launch.ts reads it

function run(args, opts = {}) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", ...opts });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
}

/**
 * zod's `z` namespace re-exports all its ~40 locales (a quarter of a bundle);
 * exacast speaks English only, which zod imports on its own (locales/en.js).
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
      a.importer.includes(`${"/node_modules/zod/"}`) ? { path: "zod-locales", namespace: "exacast-empty" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "exacast-empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

/**
 * `import { a, b } from "@exacast/core"` becomes imports from the files that
 * define a and b. Why: a module the bundle loads lazily (the daemon, a render)
 * is wrapped in a function run at its first import, and so is everything it
 * imports — a whole barrel included, every `export *` of it run. Without this
 * `--version` would build every zod schema of the core. Names the barrel does
 * not export with `export *` keep their import as written.
 */
async function unbarrel(workspaces) {
  const owners = new Map(); // "@exacast/core" → Map(name → defining file)
  for (const ws of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, ws, "package.json"), "utf8"));
    const index = join(root, ws, "dist", "index.js");
    let text;
    try {
      text = readFileSync(index, "utf8");
    } catch {
      continue;
    }
    const owner = new Map();
    for (const [, rel] of text.matchAll(/^export \* from "(\.[^"]+)";$/gm)) {
      const file = join(dirname(index), rel);
      for (const name of Object.keys(await import(pathToFileURL(file).href))) owner.set(name, owner.has(name) ? null : file);
    }
    owners.set(pkg.name, owner);
  }
  return {
    name: "unbarrel",
    setup(b) {
      b.onLoad({ filter: /\/packages\/[^/]+\/dist\/.*\.js$/ }, (a) => {
        const source = readFileSync(a.path, "utf8");
        const contents = source.replace(/^import \{([^}]*)\} from "(@exacast\/[^"/]+)";$/gm, (line, names, from) => {
          const owner = owners.get(from);
          if (!owner) return line;
          const byFile = new Map();
          const kept = [];
          for (const spec of names.split(",").map((n) => n.trim()).filter(Boolean)) {
            const file = owner.get(spec.split(/\s+as\s+/)[0]);
            if (file) byFile.set(file, [...(byFile.get(file) ?? []), spec]);
            else kept.push(spec);
          }
          const out = [...byFile].map(([file, specs]) => `import { ${specs.join(", ")} } from ${JSON.stringify(file)};`);
          if (kept.length > 0) out.push(`import { ${kept.join(", ")} } from "${from}";`);
          return out.join("\n");
        });
        return { contents, loader: "js" };
      });
    },
  };
}

/** Every bin of every workspace: { dir, name }. */
const workspaces = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces;
function bins() {
  const out = [];
  for (const ws of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, ws, "package.json"), "utf8"));
    for (const name of Object.keys(pkg.bin ?? {})) out.push({ dir: join(root, ws), name });
  }
  return out;
}

async function bundle({ dir, name }, plugins) {
  const outfile = join(dir, "dist", `${name}.cjs`);
  const r = await build({
    entryPoints: [join(dir, "dist", "main.js")],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // import() of a builtin would stay import(), which vm.Script cannot run.
    supported: { "dynamic-import": false },
    // The launcher passes the bundle's own URL: ../package.json then resolves as from dist/main.js.
    define: { "import.meta.url": "__importMetaUrl" },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "eof",
    metafile: true,
    write: false,
    logLevel: "silent",
    plugins,
  });
  if (r.warnings.length > 0) throw new Error(`${name}: ${r.warnings.map((w) => w.text).join("; ")}`);
  if (/\bimport\(/.test(r.outputFiles[0].text)) throw new Error(`${name}: the bundle still has an import(), which vm.Script cannot run`);
  // The build info of each workspace the bundle took compiled code from: a
  // newer one means a `tsc -b` since, and the launcher falls back.
  const workspaces = new Set();
  for (const input of Object.keys(r.metafile.inputs)) {
    const m = /^(.*?packages\/[^/]+)\/dist\//.exec(input);
    if (m) workspaces.add(join(root, m[1], "dist", ".tsbuildinfo"));
  }
  const header = BUNDLE_HEADER + [...workspaces].map((f) => relative(dirname(outfile), f)).join(",") + "\n";
  writeFileSync(outfile, header + r.outputFiles[0].text);
  rmSync(`${outfile}.v8cache`, { force: true });
  return outfile;
}

const capture = join(root, "test/fixtures/exabgp-4.2-route-server-session.ndjson");
const template = join(root, "examples/haproxy.cfg.ejs");

/**
 * Per bin: the runs whose compiled code goes into the cache — the paths people
 * wait for (--version, check, render) and the daemon's start, stdin at EOF (a
 * respawn) — each with what its stdin gets.
 */
function trainingRuns(name, tmp) {
  if (name === "exacast-listener") {
    return [
      { argv: ["--version"] },
      { argv: ["render", "--input", capture, "--template", template] },
      { argv: ["--template", `${template}:${tmp}/haproxy.cfg`], input: readFileSync(capture) },
    ];
  }
  if (name === "exacast-announcer") {
    writeFileSync(join(tmp, "announcer.yaml"), "apps: []\n");
    return [
      { argv: ["--version"] },
      { argv: ["check", "--config", join(root, "examples/announcer.yaml")] },
      { argv: ["--config", join(tmp, "announcer.yaml")], input: "" },
    ];
  }
  return [{ argv: ["--version"] }];
}

run([join(root, "node_modules/typescript/bin/tsc"), "-b"], { stdio: "inherit" });
const train = join(root, "scripts/lib/train-code-cache.mjs");
const tmp = mkdtempSync(join(tmpdir(), "exacast-build-"));
const plugins = [zodEnglishOnly, await unbarrel(workspaces)];
try {
  for (const bin of bins()) {
    const file = await bundle(bin, plugins);
    for (const { argv, input } of trainingRuns(bin.name, tmp)) {
      run([train, file, ...argv], { input: input ?? "", stdio: ["pipe", "ignore", "pipe"] });
    }
    console.log(`built ${relative(root, file)} (+ code cache)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
