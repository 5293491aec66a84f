import { fileURLToPath } from "node:url";

// This file runs from test/harness (vitest) or test/harness/dist (compiled, for the demo).
const here = fileURLToPath(new URL(".", import.meta.url)).replace(/\/$/, "");
export const repoRoot = here.replace(/\/test\/harness(\/dist)?$/, "");
export const harnessDir = `${repoRoot}/test/harness`;

/** The command line that runs a built exacast bin (ExaBGP wants absolute paths). */
export function bin(name: "exacast-announcer" | "exacast-listener"): string[] {
  const pkg = name === "exacast-announcer" ? "announcer" : "listener";
  return [process.execPath, `${repoRoot}/packages/${pkg}/bin/${name}.js`];
}

/** A harness helper script run by node. */
export function helper(script: string): string[] {
  return [process.execPath, `${harnessDir}/${script}`];
}
