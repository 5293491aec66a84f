#!/usr/bin/env node
// `npm run package`: exacast_<version>_all.deb, built with dpkg-deb from this
// checkout (after `npm run build`), offline.
//
//   /usr/lib/exacast/node_modules/…        both programs, their workspace packages
//                                          and production dependencies (no dev ones)
//   /usr/bin/exacast-{announcer,listener}  launchers (one per "bin" of each program)
//   /usr/share/doc/exacast/                README, copyright, examples/, exabgp/ (the
//                                          exabgp.conf snippets, run lines on /usr/bin)
//   /usr/share/man/man1/                   the programs' man pages
//
// Usage: node scripts/package-deb.mjs [--out DIR]   (default: the repository root)

import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { copyClosure, runtimeFile, workspaces } from "./lib/prod-tree.mjs";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PROGRAMS = ["@exacast/announcer", "@exacast/listener"];
const LIB = "/usr/lib/exacast";
const DOC = "/usr/share/doc/exacast";

// Debian's own nodejs in bookworm is 18; the programs need 20 (NodeSource's
// and Debian trixie's nodejs satisfy this). An alternative like "| nodejs"
// would let apt pick 18 and install a package that cannot run.
export const DEPENDS = "nodejs (>= 20), exabgp";

/** Every file under `dir`; `dirs` collects the folders. */
function walk(dir, dirs = []) {
  dirs.push(dir);
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name), dirs) : [join(dir, d.name)]));
}

/** The shipped exabgp.conf files point at the launchers this package installs. */
function snippet(text) {
  return text.replaceAll("/usr/local/bin/exacast-", "/usr/bin/exacast-").replace(/^(\s*#.*)\(bins linked into \/usr\/local\/bin\)/m, "$1(the exacast package's /usr/bin launchers)");
}

function launcher(name, target) {
  return [
    "#!/bin/sh",
    `# ${name}, installed by the exacast Debian package: the program and its`,
    `# modules live in ${LIB}. ExaBGP runs it as a process (see ${DOC}/exabgp/).`,
    `exec node ${target} "$@"`,
    "",
  ].join("\n");
}

function control(pkg, installedKiB) {
  const description = [
    "BGP anycast and L3 service discovery as ExaBGP process plugins",
    " exacast-announcer health-checks the apps on a host and has ExaBGP announce",
    " their anycast VIPs with a <asn>:<port> community per healthy service port;",
    " exacast-listener reads the routes ExaBGP receives, keeps them per neighbor",
    " and renders EJS templates (HAProxy, nginx, JSON) into files atomically,",
    " then checks and reloads the service they feed.",
  ];
  return [
    "Package: exacast",
    `Version: ${pkg.version}`,
    "Architecture: all",
    `Maintainer: ${pkg.author ?? "exacast developers <exacast@example.org>"}`,
    `Installed-Size: ${installedKiB}`,
    `Depends: ${DEPENDS}`,
    "Section: net",
    "Priority: optional",
    `Description: ${description.join("\n")}`,
    "",
  ].join("\n");
}

function build(outDir) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const ws = workspaces(root);
  for (const p of PROGRAMS) {
    if (!existsSync(join(ws.get(p) ?? "", "dist"))) throw new Error(`${p} is not built: run npm run build`);
  }
  const stage = mkdtempSync(join(tmpdir(), "exacast-deb-"));
  try {
    const lib = join(stage, LIB);
    copyClosure(root, PROGRAMS, lib, { keep: runtimeFile });
    // Launchers and man pages, from each program's package.json.
    for (const p of PROGRAMS) {
      const meta = JSON.parse(readFileSync(join(ws.get(p), "package.json"), "utf8"));
      for (const [name, file] of Object.entries(meta.bin ?? {})) {
        const target = join(LIB, "node_modules", p, file);
        if (!existsSync(join(stage, target))) throw new Error(`${p}: bin ${name} → ${file} is missing`);
        mkdirSync(join(stage, "usr/bin"), { recursive: true });
        writeFileSync(join(stage, "usr/bin", name), launcher(name, target), { mode: 0o755 });
      }
      for (const page of [meta.man ?? []].flat()) {
        const section = /\.(\d)$/.exec(page)?.[1];
        if (!section) throw new Error(`${p}: man page ${page} has no section number`);
        const dir = join(stage, "usr/share/man", `man${section}`);
        mkdirSync(dir, { recursive: true });
        const base = page.split("/").pop();
        writeFileSync(join(dir, `${base}.gz`), gzipSync(readFileSync(join(ws.get(p), page)), { level: 9 }), { mode: 0o644 });
      }
    }
    const doc = join(stage, DOC);
    mkdirSync(join(doc, "exabgp"), { recursive: true });
    cpSync(join(root, "README.md"), join(doc, "README.md"));
    cpSync(join(root, "examples"), join(doc, "examples"), { recursive: true });
    for (const f of readdirSync(join(root, "exabgp")).filter((f) => f.endsWith(".conf"))) {
      writeFileSync(join(doc, "exabgp", f), snippet(readFileSync(join(root, "exabgp", f), "utf8")));
    }
    writeFileSync(
      join(doc, "copyright"),
      [
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
        "Upstream-Name: exacast",
        "",
        "Files: *",
        `License: ${pkg.license ?? "MIT"}`,
        "",
        `Files: ${LIB}/node_modules/*`,
        "Comment: the npm packages the programs depend on; each folder holds its own license",
        "",
      ].join("\n"),
    );
    // dpkg records files as they are: world-readable, directories searchable.
    const dirs = [];
    const files = walk(stage, dirs);
    for (const d of dirs) chmodSync(d, 0o755);
    for (const f of files) chmodSync(f, statSync(f).mode & 0o111 ? 0o755 : 0o644);
    const md5sums = files.map((f) => `${createHash("md5").update(readFileSync(f)).digest("hex")}  ${relative(stage, f)}`).join("\n") + "\n";
    const installedKiB = Math.ceil(files.reduce((n, f) => n + statSync(f).size, 0) / 1024);
    mkdirSync(join(stage, "DEBIAN"));
    writeFileSync(join(stage, "DEBIAN/control"), control(pkg, installedKiB));
    writeFileSync(join(stage, "DEBIAN/md5sums"), md5sums);
    const deb = join(outDir, `exacast_${pkg.version}_all.deb`);
    // --root-owner-group: files owned by root whoever builds; xz -6 is Debian's default.
    execFileSync("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", stage, deb], { stdio: ["ignore", "ignore", "inherit"] });
    return { deb, files: files.length, installedKiB };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  try {
    const r = build(values.out ?? root);
    const shown = relative(process.cwd(), r.deb);
    console.log(`${shown.startsWith("..") ? r.deb : shown}: ${r.files} files, ${r.installedKiB} KiB installed, ${Math.round(statSync(r.deb).size / 1024)} KiB`);
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exit(1);
  }
}
