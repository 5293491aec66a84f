// What the programs need at run time, taken from this checkout after
// `npm ci && npm run build`: each workspace package as npm would pack it
// (package.json and its "files": dist, bin, man…) and every package its
// "dependencies" reach, found as Node finds them (the nearest node_modules
// first). devDependencies are never reached, so never shipped. Nothing is
// fetched from a registry: the Debian package and the npm tarballs are built
// offline from what `npm ci` installed.

import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

/** The root's workspaces: name → folder ("packages/*" globs expanded one level). */
export function workspaces(root) {
  const out = new Map();
  for (const pattern of readJson(join(root, "package.json")).workspaces ?? []) {
    const dirs = pattern.endsWith("/*")
      ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(root, pattern.slice(0, -2), d.name))
      : [join(root, pattern)];
    for (const dir of dirs) {
      if (!existsSync(join(dir, "package.json"))) continue;
      out.set(readJson(join(dir, "package.json")).name, realpathSync(dir));
    }
  }
  return out;
}

/** Node's lookup of `name` from the package in `fromDir`: fromDir/node_modules, then each parent's. */
function resolvePackage(name, fromDir, root) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    }
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/**
 * Every package reached from `entries` (workspace names) through
 * dependencies and optionalDependencies: [{ name, dir, workspace }], entries first.
 */
export function productionClosure(checkout, entries) {
  const root = realpathSync(checkout);
  const ws = workspaces(root);
  const seen = new Map();
  const queue = [];
  for (const name of entries) {
    const dir = ws.get(name);
    if (!dir) throw new Error(`no workspace package named ${name} (workspaces: ${[...ws.keys()].join(", ")})`);
    queue.push({ name, dir, from: "the entries" });
  }
  while (queue.length > 0) {
    const { name, dir } = queue.shift();
    if (seen.has(dir)) continue;
    const pkg = readJson(join(dir, "package.json"));
    seen.set(dir, { name, dir, workspace: [...ws.values()].includes(dir) });
    const optional = pkg.optionalDependencies ?? {};
    for (const dep of Object.keys({ ...pkg.dependencies, ...optional })) {
      const found = resolvePackage(dep, dir, root);
      if (found === undefined) {
        if (dep in optional) continue;
        throw new Error(`${dep}, a dependency of ${name}, is not installed: run npm ci`);
      }
      queue.push({ name: dep, dir: found });
    }
  }
  return [...seen.values()];
}

/**
 * Where each package goes under a node_modules-holding folder: a workspace
 * package at node_modules/<its name>, an installed one at its path from the
 * root (nested node_modules kept), a workspace's own nested node_modules under
 * its new place. `flatten`: this workspace's own node_modules are the target's.
 */
export function placeOf(pkg, root, wsDirs, flatten) {
  if (pkg.workspace) return pkg.dir === flatten ? "." : join("node_modules", pkg.name);
  for (const [name, dir] of wsDirs) {
    if (pkg.dir.startsWith(dir + sep)) {
      const rest = relative(dir, pkg.dir);
      return dir === flatten ? rest : join("node_modules", name, rest);
    }
  }
  const rel = relative(root, pkg.dir);
  if (rel.startsWith("..") || !rel.startsWith(`node_modules${sep}`)) throw new Error(`${pkg.name} is outside the checkout's node_modules: ${pkg.dir}`);
  return rel;
}

/** False for what a program does not need to run: type declarations, source maps, TypeScript sources. */
export const runtimeFile = (path) => !/\.(d\.[cm]?ts|map|[cm]?ts|tsbuildinfo)$/.test(path);

/** npm's "files" of a workspace package, plus package.json, README and LICENSE as npm pack adds them. */
function workspaceFiles(dir) {
  const pkg = readJson(join(dir, "package.json"));
  const always = readdirSync(dir).filter((f) => /^(readme|license|licence)(\..*)?$/i.test(f));
  return ["package.json", ...always, ...(pkg.files ?? ["dist", "bin"])].filter((f) => existsSync(join(dir, f)));
}

/**
 * Copy the closure of `entries` into `dest` (which receives node_modules/…).
 * `keep(path)`: false drops a file (e.g. type declarations in the Debian package).
 * Returns the places written, for the caller's checks.
 */
export function copyClosure(checkout, entries, dest, { flatten, keep = () => true } = {}) {
  const root = realpathSync(checkout);
  const ws = workspaces(root);
  const places = new Map();
  for (const pkg of productionClosure(root, entries)) {
    const place = placeOf(pkg, root, ws, flatten);
    const clash = places.get(place);
    if (clash) throw new Error(`${pkg.dir} and ${clash} both belong at ${place}: cannot lay them out in one tree`);
    places.set(place, pkg.dir);
    const target = join(dest, place);
    mkdirSync(target, { recursive: true });
    // Nested node_modules are copied as packages of their own (when reached), never wholesale.
    const filter = (src) => (src === pkg.dir || !relative(pkg.dir, src).split(sep).includes("node_modules")) && (lstatSync(src).isDirectory() || keep(src));
    const items = pkg.workspace ? workspaceFiles(pkg.dir) : readdirSync(pkg.dir).filter((f) => f !== "node_modules");
    for (const item of items) cpSync(join(pkg.dir, item), join(target, item), { recursive: true, filter, dereference: false });
  }
  return places;
}
