// A real browser for the status pages: Debian's chromium, headless, one run
// per page, a profile of its own in a new temp folder (removed after), no
// network beyond the URL it is given (no updates, sync or QUIC probes).

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--hide-scrollbars",
];

function chromium(args: string[], timeoutMs: number): Promise<string> {
  const profile = mkdtempSync(`${tmpdir()}/exacast-chromium-`);
  return new Promise<string>((resolve, reject) => {
    execFile(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium ${args.at(-1)}: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  }).finally(() => rmSync(profile, { recursive: true, force: true }));
}

/** The DOM as chromium built it from `url` (after its load event), serialized. */
export function dumpDom(url: string, timeoutMs = 30_000): Promise<string> {
  return chromium(["--dump-dom", url], timeoutMs);
}

/** A PNG of `url` as a `width`×`height` window shows it. */
export async function screenshot(url: string, file: string, width: number, height: number, timeoutMs = 30_000): Promise<void> {
  await chromium([`--screenshot=${file}`, `--window-size=${width},${height}`, url], timeoutMs);
}

/** The text of a serialized DOM: tags dropped, entities of the five escaped characters decoded, whitespace collapsed. */
export function domText(dom: string): string {
  return dom
    .replace(/<style>[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}
