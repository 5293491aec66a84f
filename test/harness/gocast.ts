// GoCast's own binary, for side-by-side tests: built once from the source
// snapshot in ../shared/peers (Go modules vendored: no network) with Debian's
// golang-go, into a folder of the temp dir named by the snapshot's hash, so
// later runs reuse it. GoCast changes the host's addresses and NAT rules: run
// it only inside a network namespace the test created (netns.ts).

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { repoRoot } from "./paths.js";

const run = promisify(execFile);

export const GOCAST_SOURCE = `${repoRoot}/../shared/peers/gocast-src.tar.gz`;

let built: Promise<{ bin: string } | { problem: string }> | undefined;

/** The path of GoCast's binary (built on first use), or why it cannot be had here. */
export function gocastBinary(): Promise<{ bin: string } | { problem: string }> {
  built ??= build();
  return built;
}

async function build(): Promise<{ bin: string } | { problem: string }> {
  if (!existsSync(GOCAST_SOURCE)) return { problem: `GoCast's source is not at ${GOCAST_SOURCE}` };
  try {
    await run("go", ["version"], { timeout: 10_000 });
  } catch {
    return { problem: "no Go toolchain (Debian golang-go) to build GoCast with" };
  }
  const hash = createHash("sha256").update(readFileSync(GOCAST_SOURCE)).digest("hex").slice(0, 12);
  const dir = `${tmpdir()}/exacast-gocast-${hash}`;
  const bin = `${dir}/gocast-bin`;
  if (existsSync(bin)) return { bin };
  mkdirSync(dir, { recursive: true });
  try {
    await run("tar", ["xzf", GOCAST_SOURCE, "-C", dir], { timeout: 60_000 });
    const env = { ...process.env, GOFLAGS: "-mod=vendor", GOPROXY: "off", GOCACHE: `${dir}/cache`, GOPATH: `${dir}/gopath`, CGO_ENABLED: "0" };
    await run("go", ["build", "-o", `${bin}.tmp`, "."], { cwd: `${dir}/gocast`, env, timeout: 240_000 });
    renameSync(`${bin}.tmp`, bin);
    return { bin };
  } catch (e) {
    return { problem: `building GoCast failed: ${(e as Error & { stderr?: string }).stderr || (e as Error).message}` };
  }
}
