// The state file: the services map as JSON, written with the default lane's
// templates when it differs from what the file holds. A failure is logged
// once per cause (reminded each minute), its end as a recovery.

import type { Logger } from "@exacast/core";
import type { Clock, FileStore } from "@exacast/runtime";
import { causeOf, LogThrottle } from "@exacast/runtime";

export class StateFile {
  private readonly failures: LogThrottle;

  constructor(log: Logger, clock: Clock) {
    this.failures = new LogThrottle(log, clock);
  }

  /** False when it could not be written. */
  async write(files: FileStore, file: string | undefined, json: string): Promise<boolean> {
    if (file === undefined) return true;
    try {
      if ((await files.readIfExists(file)) === json) return true;
    } catch {
      /* unreadable: try to replace it */
    }
    const r = await files.replaceFile(file, json);
    if (r.ok) this.failures.succeeded("state_file_recovered", { file });
    else this.failures.failed("state_file_failed", causeOf("write", r.error), { file, error: r.error });
    return r.ok;
  }
}
