// exacast-listener run directly by a test (no ExaBGP): the test writes its
// stdin as ExaBGP would, reads its stderr log, signals it and awaits its exit.

import type { Lab } from "./lab.js";
import { bin } from "./paths.js";
import { ScriptedProcess } from "./scripted.js";

export type { ScriptedExit as ListenerExit } from "./scripted.js";

export class ListenerProcess extends ScriptedProcess {
  constructor(lab: Lab, args: string[], opts: { name?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    const [node, script] = bin("exacast-listener");
    super(lab, node!, [script!, ...args], { name: opts.name ?? "listener", cwd: opts.cwd, env: opts.env });
  }
}
