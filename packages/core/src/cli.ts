// Shared command-line plumbing: version, usage errors (exit 2), and a clean
// exit that lets stdout drain first (stdout is ExaBGP's API).

import { readFileSync } from "node:fs";
import { EXIT_CONFIG } from "./config.js";

export function packageVersion(packageJsonUrl: URL): string {
  try {
    return (JSON.parse(readFileSync(packageJsonUrl, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Print problems on stderr, one per line, then exit 2. */
export function exitWithProblems(program: string, problems: readonly string[], code = EXIT_CONFIG): never {
  for (const p of problems) process.stderr.write(`${program}: ${p}\n`);
  process.exit(code);
}
