// The bins' single-file bundles (npm run build): the launcher runs a bundle
// only while it is newer than the compiled code, and each real bundle answers
// exactly as the compiled modules do (English zod messages included: the
// build leaves zod's other locales out).

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../harness/index.js";

const dir = mkdtempSync(`${tmpdir()}/exacast-bundle-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const launcher = `${repoRoot}/packages/core/dist/launch.cjs`;
const capture = `${repoRoot}/test/fixtures/exabgp-4.2-route-server-session.ndjson`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[], cwd = repoRoot): Run {
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run argv through `bundle` with launch(); the fallback says so instead of running anything. */
function viaLauncher(bundle: string, argv: string[]): Run {
  const script = `require(${JSON.stringify(launcher)}).launch("t", ${JSON.stringify(bundle)}, async () => ({ main: async () => console.log("fallback") }), ${JSON.stringify(argv)})`;
  return node(["-e", script]);
}

describe("launcher", () => {
  const pkg = `${dir}/pkg`;
  const bundle = `${pkg}/dist/t.cjs`;
  const info = `${pkg}/dist/.tsbuildinfo`;
  mkdirSync(`${pkg}/dist`, { recursive: true });
  writeFileSync(info, "{}");
  writeFileSync(
    bundle,
    '// exacast bundle of: .tsbuildinfo\nexports.main = async (argv) => console.log("bundle", argv.join(" "), __importMetaUrl.endsWith("/dist/t.cjs"));\n',
  );
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  it("runs the bundle while it is newer than the compiled code, with its own URL as import.meta.url", () => {
    at(info, 1_000);
    at(bundle, 2_000);
    expect(viaLauncher(bundle, ["a", "b"]).stdout).toBe("bundle a b true\n");
  });

  it("runs the compiled modules once they are newer (a tsc -b since the bundle)", () => {
    at(info, 3_000);
    expect(viaLauncher(bundle, []).stdout).toBe("fallback\n");
  });

  it("runs the compiled modules when there is no bundle", () => {
    expect(viaLauncher(`${pkg}/dist/missing.cjs`, []).stdout).toBe("fallback\n");
  });

  it("trains a code cache that the next start accepts", () => {
    at(bundle, 4_000);
    const train = `require(${JSON.stringify(launcher)}).trainCodeCache(${JSON.stringify(bundle)}, ["x"])`;
    expect(node(["-e", train]).stdout).toBe("bundle x true\n");
    const cache = readFileSync(`${bundle}.v8cache`);
    expect(cache.length).toBeGreaterThan(0);
    // The launcher compiles as below; V8 says whether it took the cache.
    const probe = `const vm = require("node:vm"); const fs = require("node:fs");
const s = new vm.Script("(function (exports, require, module, __filename, __dirname, __importMetaUrl) {" + fs.readFileSync(${JSON.stringify(bundle)}, "utf8") + "\\n})", { filename: ${JSON.stringify(bundle)}, cachedData: fs.readFileSync(${JSON.stringify(`${bundle}.v8cache`)}) });
console.log(s.cachedDataRejected);`;
    expect(node(["-e", probe]).stdout).toBe("false\n");
  });
});

describe.each([
  ["exacast-announcer", "announcer"],
  ["exacast-listener", "listener"],
])("%s bundle", (program, pkg) => {
  const bundle = `${repoRoot}/packages/${pkg}/dist/${program}.cjs`;
  const modules = (argv: string[]) =>
    node(["--input-type=module", "-e", `import(${JSON.stringify(`${repoRoot}/packages/${pkg}/dist/main.js`)}).then((m) => m.main(${JSON.stringify(argv)}))`]);
  const bad = `${dir}/bad-${pkg}.yaml`;
  writeFileSync(bad, pkg === "announcer" ? "interval: fast\nfoo: 1\napps: [{ name: web, vip: 10.0.0.300/32, checks: [] }]\n" : "community_asn: 70000\ntemplates: [{}]\n");
  const commands: string[][] = [["--version"], ["--help"], ["--config", bad], ["--no-such-option"]];
  if (pkg === "announcer") commands.push(["check", "--config", `${repoRoot}/examples/announcer.yaml`], ["check", "--config", bad]);
  else commands.push(["render", "--input", capture, "--template", `${repoRoot}/examples/haproxy.cfg.ejs`]);

  it.each(commands)(`answers ${program} %s… as the compiled modules do`, (...argv) => {
    const fromBundle = viaLauncher(bundle, argv);
    expect(fromBundle.stdout, "the bundle is missing or stale: npm run build").not.toBe("fallback\n");
    expect(fromBundle).toEqual(modules(argv));
  });
});
