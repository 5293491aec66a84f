// exacast-announcer run directly by a test, the test playing ExaBGP: every
// line the announcer writes on stdout is recorded and answered `done`, as
// ExaBGP 4.2 does with api.ack. Its stderr log is kept.

import type { Lab } from "./lab.js";
import { bin } from "./paths.js";
import { ScriptedProcess } from "./scripted.js";

export type { ScriptedExit as AnnouncerExit } from "./scripted.js";

export class AnnouncerProcess extends ScriptedProcess {
  constructor(lab: Lab, args: string[], opts: { name?: string; env?: NodeJS.ProcessEnv; ack?: boolean } = {}) {
    const [node, script] = bin("exacast-announcer");
    // Lines arrive after construction: by then `self` is this process.
    let self: AnnouncerProcess | undefined;
    super(lab, node!, [script!, ...args], {
      name: opts.name ?? "announcer",
      env: opts.env,
      logStdout: true,
      onLine: () => {
        if (opts.ack !== false) self?.write("done");
      },
    });
    self = this;
  }
}
