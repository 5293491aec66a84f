// The CI version of `npm run soak` (test/soak/run.mjs): 60 s of route changes
// through exacast-listener and health flaps through exacast-announcer, RSS
// and open fds sampled and flat within 10% after warm-up. The samples are
// printed. `npm run soak` runs the full million changes and 10,000 flaps.

import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../harness/index.js";

const SECONDS = Number(process.env.EXACAST_CI_SOAK_SECONDS ?? 60);

describe("soak (CI version)", () => {
  it(`${SECONDS} s of route changes and health flaps: nothing lost, RSS and fds flat after warm-up`, { timeout: (SECONDS + 60) * 1000 }, async () => {
    const child = spawn(process.execPath, ["--expose-gc", `${repoRoot}/test/soak/run.mjs`], {
      env: { ...process.env, EXACAST_SOAK_SECONDS: String(SECONDS) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    console.log(out);
    expect(out).toMatch(/final file exactly the routes held/);
    expect(out).toMatch(/\n {2}[\d,]+ commands \(0 malformed\)/);
    expect(code).toBe(0);
  });
});
