// What the bins run: the program's single-file bundle (`npm run build` writes
// dist/<bin>.cjs and V8's code cache beside it), or its compiled modules when
// there is no bundle or the bundle is older than them (a `tsc -b` since).
//
// Why: start-up is most of what a `--version`, a `check` in a deploy script or
// a template author's `render` loop costs. One file read and compiled from V8's
// code cache costs a few milliseconds; resolving, reading and compiling the
// ~400 modules of zod, yaml and execa costs more than Node's own start.
// Node 20 has no module compile cache (module.enableCompileCache is Node 22),
// so the bundle is a CommonJS function compiled with vm.Script, which takes
// and makes V8 code caches.

// CommonJS, as the bins are: an ES module costs the start-up a few ms more,
// and its `import … from "node:fs"` reads every export of fs, one of which
// loads all of node:stream.
import fs = require("node:fs");
import nodeModule = require("node:module");
import path = require("node:path");
import url = require("node:url");
import vm = require("node:vm");

interface Program {
  main(argv: string[]): Promise<void>;
}

/** First line of a bundle: the build-info files of the compiled code it was built from. */
const BUNDLE_HEADER = "// exacast bundle of: ";
/** The bundle's body runs as this function (import.meta.url is a parameter: CommonJS has none). */
const WRAP_HEAD = "(function (exports, require, module, __filename, __dirname, __importMetaUrl) {";
const WRAP_TAIL = "\n})";

const codeCacheOf = (bundle: string): string => `${bundle}.v8cache`;

/**
 * Run `argv` through the bundle at `bundle` (a path), else through `fallback`
 * (the compiled modules' main).
 */
function launch(program: string, bundle: string, fallback: () => Promise<Program>, argv: string[]): void {
  const loaded = loadBundle(bundle);
  if (loaded) {
    void loaded.program.main(argv);
    return;
  }
  fallback().then(
    (m) => m.main(argv),
    (e: unknown) => {
      process.stderr.write(`${program}: cannot load its compiled code (${(e as Error)?.message}); run: npm run build\n`);
      process.exit(2);
    },
  );
}

/**
 * For the build: run `argv` through the bundle and, as the process exits,
 * write V8's code cache of every function it compiled (on top of the cache it
 * was given, so successive runs of different paths add up).
 */
function trainCodeCache(bundle: string, argv: string[]): void {
  const loaded = loadBundle(bundle);
  if (!loaded) throw new Error(`${bundle}: no bundle, or older than the compiled code`);
  process.on("exit", () => fs.writeFileSync(codeCacheOf(bundle), loaded.script.createCachedData()));
  void loaded.program.main(argv);
}

function loadBundle(file: string): { program: Program; script: vm.Script } | undefined {
  let source: string;
  try {
    source = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  if (isStale(file, source)) return undefined;
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(codeCacheOf(file));
  } catch {
    // No cache: V8 compiles from source (a rejected cache does the same).
  }
  const script = new vm.Script(WRAP_HEAD + source + WRAP_TAIL, { filename: file, cachedData });
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = { exports: {} as Program };
  fn.call(mod.exports, mod.exports, nodeModule.createRequire(file), mod, file, path.dirname(file), url.pathToFileURL(file).href);
  return { program: mod.exports, script };
}

/** Whether any build-info file named in the header is newer than the bundle. */
function isStale(file: string, source: string): boolean {
  if (!source.startsWith(BUNDLE_HEADER)) return false;
  const built = fs.statSync(file).mtimeMs;
  const list = source.slice(BUNDLE_HEADER.length, source.indexOf("\n"));
  for (const rel of list.split(",")) {
    try {
      if (fs.statSync(path.resolve(path.dirname(file), rel)).mtimeMs > built) return true;
    } catch {
      // Installed without build info: the bundle is all there is.
    }
  }
  return false;
}

export = { BUNDLE_HEADER, codeCacheOf, launch, trainCodeCache };
