// A long-running child (the listener's exec: mode), beside runProcess's
// run-to-completion commands. Like them it runs in its own process group, so
// a kill reaches what it started, and the group is killed if this program
// exits first. Its stdout and stderr both go to this program's stderr: stdout
// is ExaBGP's API and no byte of a child may reach it. stdin is closed.

import { spawn } from "node:child_process";
import { forgetGroup, trackGroup } from "./process.js";

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** `exit N`, `killed by SIGX` or `could not run: …`, for logs. */
  readonly status: string;
}

export interface Child {
  readonly pid: number | undefined;
  /** Resolves once, when the child is gone (or could not start). */
  readonly exited: Promise<ChildExit>;
  /** Signal the child itself (a reload). False when it is gone. */
  signal(sig: NodeJS.Signals): boolean;
  /** Signal its whole process group (a stop that must reach what it started). */
  signalGroup(sig: NodeJS.Signals): void;
}

export interface ChildOptions {
  /** A string command runs through /bin/sh only with shell: true. */
  readonly shell?: boolean;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export function startChild(command: string | readonly string[], opts: ChildOptions = {}): Child {
  const [file, args] = typeof command === "string" ? [command, [] as string[]] : [command[0]!, command.slice(1)];
  let proc;
  try {
    proc = spawn(file, args, { shell: opts.shell ?? false, detached: true, stdio: ["ignore", 2, 2], env: { ...process.env, ...opts.env } });
  } catch (e) {
    const status = `could not run: ${(e as Error).message}`;
    return { pid: undefined, exited: Promise.resolve({ code: null, signal: null, status }), signal: () => false, signalGroup: () => {} };
  }
  const pid = proc.pid;
  if (pid !== undefined) trackGroup(pid);
  let gone = false;
  const exited = new Promise<ChildExit>((resolve) => {
    const done = (e: ChildExit) => {
      if (gone) return;
      gone = true;
      if (pid !== undefined) forgetGroup(pid);
      resolve(e);
    };
    proc.on("error", (e) => {
      // A spawn that failed (ENOENT, EACCES) never exits; an error after a
      // successful spawn (a failed kill) is not the end of the child.
      if (proc.pid === undefined) done({ code: null, signal: null, status: `could not run: ${e.message}` });
    });
    proc.on("exit", (code, signal) => done({ code, signal, status: signal ? `killed by ${signal}` : `exit ${code}` }));
  });
  return {
    pid,
    exited,
    signal: (sig) => {
      if (gone) return false;
      try {
        return proc.kill(sig);
      } catch {
        return false;
      }
    },
    signalGroup: (sig) => {
      if (pid === undefined || gone) return;
      try {
        process.kill(-pid, sig);
      } catch {
        /* the group is gone */
      }
    },
  };
}
