// file_absent check: the app is in maintenance while the file exists.

import { access } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import type { CheckKind, CheckResult } from "./types.js";
import { resultFrom } from "./types.js";

export interface FileAbsentSpec {
  readonly kind: "file_absent";
  readonly path: string;
}

export async function fileAbsentCheck(path: string): Promise<CheckResult> {
  const result = resultFrom("file_absent", performance.now());
  try {
    await access(path);
    return { ...result(false, `maintenance: ${path} exists`), maintenance: true };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Only "not there" means "not in maintenance"; a permission problem is not proof of absence.
    if (code === "ENOENT" || code === "ENOTDIR") return result(true, "absent");
    return result(false, `cannot tell whether ${path} exists: ${code ?? (e as Error).message}`);
  }
}

const pathSchema = z
  .string()
  .min(1, "expected a file path")
  .max(4096)
  .refine((s) => !s.includes("\0"), "NUL byte in path");

export const fileAbsent: CheckKind<FileAbsentSpec> = {
  kind: "file_absent",
  schema: pathSchema.transform((path): FileAbsentSpec => ({ kind: "file_absent", path })),
  run: (spec) => fileAbsentCheck(spec.path),
  describe: (spec) => `file_absent ${spec.path}`,
  resolvePaths: (spec, baseDir) => (isAbsolute(spec.path) ? spec : { kind: "file_absent", path: resolve(baseDir, spec.path) }),
};
