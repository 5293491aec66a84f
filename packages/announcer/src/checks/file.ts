// file_absent check: the app is in maintenance while the file exists.

import { access } from "node:fs/promises";
import type { CheckResult } from "./types.js";

export async function fileAbsentCheck(path: string): Promise<CheckResult> {
  const start = performance.now();
  try {
    await access(path);
    return { kind: "file_absent", ok: false, maintenance: true, reason: `maintenance: ${path} exists`, latencyMs: performance.now() - start };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Only "not there" means "not in maintenance"; a permission problem is not proof of absence.
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "file_absent", ok: true, reason: "absent", latencyMs: performance.now() - start };
    return { kind: "file_absent", ok: false, reason: `cannot tell whether ${path} exists: ${code ?? (e as Error).message}`, latencyMs: performance.now() - start };
  }
}
