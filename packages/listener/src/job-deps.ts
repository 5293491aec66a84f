// What renders touch: the disk (missing folders made) and the shell, or with
// --dry their stand-ins that show and name instead of writing and running.
// The dry_run flag comes from the command line to here and goes no further:
// the render jobs, the top-level reload and the exec: child do not ask it.

import type { Logger } from "@exacast/core";
import type { Clock, FileStore } from "@exacast/runtime";
import { diskFiles } from "@exacast/runtime";
import type { DryOutput } from "./dry-run.js";
import { DryRunFiles, dryRunner } from "./dry-run.js";
import { creatingFolders } from "./folders.js";
import type { CommandRunner, JobDeps } from "./render-job.js";
import { runShell } from "./render-job.js";

export interface WorldOptions {
  readonly dryRun: boolean;
  /** Given by tests: files in memory, a fake shell. */
  readonly files?: FileStore | undefined;
  readonly run?: CommandRunner | undefined;
  readonly writeDiff?: DryOutput["writeDiff"];
}

export function jobDeps(o: WorldOptions, clock: Clock, log: Logger): JobDeps {
  if (o.dryRun) return { run: dryRunner(log), files: new DryRunFiles(o.files ?? diskFiles, { log, writeDiff: o.writeDiff }), clock, log };
  const files = o.files ?? creatingFolders(diskFiles, (folder) => log.info("folder_created", { folder }));
  return { run: o.run ?? runShell, files, clock, log };
}
