// The daemon in a test world for consul-template's habits: a fake clock,
// files in memory, a fake shell whose answers the test gives, and fake exec
// children that run nothing and exit when the test says.

import type { LogFields } from "@exacast/core";
import { createLogger } from "@exacast/core";
import type { Child, ChildExit, ProcessOutcome } from "@exacast/runtime";
import { FakeClock, MemoryFiles } from "@exacast/runtime";
import { afterEach } from "vitest";
import type { RunMode } from "../src/args.js";
import { parseListenerConfig } from "../src/config.js";
import type { DaemonOptions } from "../src/daemon.js";
import { ListenerDaemon } from "../src/daemon.js";
import type { Setup } from "../src/setup.js";
import { compileTemplate } from "../src/template.js";
import { announce } from "./exa-lines.js";
import { inlineRunner } from "../src/template-runner.js";

export const ALL = "<% for (const [port, ips] of Object.entries(services)) { %><%= port %>: <%= ips.join(' ') %>\n<% } %>";
export const ONLY_80 = "80: <%= (services[80] ?? []).join(' ') %>\n";
export const OK: ProcessOutcome = { ok: true, status: "exit 0", exitCode: 0, timedOut: false, output: "", durationMs: 1 };
export const FAIL: ProcessOutcome = { ok: false, status: "exit 1", exitCode: 1, timedOut: false, output: "bad config", durationMs: 1 };

export function setup(yaml: string, templates: Record<string, string>): Setup {
  const c = parseListenerConfig(yaml, "test.yaml", "/lb");
  if (!c.ok) throw new Error(c.error.join("\n"));
  const compiled = c.value.templates.map((t) => {
    const r = compileTemplate(templates[t.source]!, t.source);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  });
  return { config: c.value, templates: compiled };
}

/** A child that never runs: what it was sent, and its exit when the test says. */
export class FakeChild implements Child {
  readonly signals: string[] = [];
  private end!: (e: ChildExit) => void;
  readonly exited = new Promise<ChildExit>((r) => (this.end = r));
  constructor(readonly pid: number) {}
  signal(sig: NodeJS.Signals): boolean {
    this.signals.push(sig);
    return true;
  }
  signalGroup(sig: NodeJS.Signals): void {
    this.signals.push(`group ${sig}`);
  }
  exit(status = "exit 0"): void {
    this.end({ code: 0, signal: null, status });
  }
}

const daemons: ListenerDaemon[] = [];
const everyChild: FakeChild[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) {
    const finished = d.finish();
    for (const c of everyChild.splice(0)) c.exit();
    await finished;
  }
});

export type WorldOptions = { answer?: (cmd: string, env: Record<string, string>) => ProcessOutcome; mode?: RunMode } & Omit<DaemonOptions, "run">;

export function world(yaml: string, templates: Record<string, string>, { answer, ...opts }: WorldOptions = {}) {
  const clock = new FakeClock();
  const files = new MemoryFiles();
  const logs: LogFields[] = [];
  const log = createLogger({ program: "test", format: "json", level: "debug", write: (l) => void logs.push(JSON.parse(l)) });
  const commands: { cmd: string; env: Record<string, string> }[] = [];
  const children: FakeChild[] = [];
  const d = new ListenerDaemon(setup(yaml, templates), log, {
    clock,
    files,
    // Templates on this thread: the fake clock cannot time a real one.
    templates: inlineRunner,
    run: async (cmd, o) => {
      commands.push({ cmd, env: o.env ?? {} });
      return answer?.(cmd, o.env ?? {}) ?? OK;
    },
    startChild: () => {
      const c = new FakeChild(1000 + children.length);
      children.push(c);
      everyChild.push(c);
      return c;
    },
    ...opts,
  });
  daemons.push(d);
  let n = 0;
  const feed = (...lines: string[]) => lines.forEach((l) => d.line(l, ++n));
  const events = (name: string) => logs.filter((l) => l.event === name);
  return { d, clock, files, logs, commands, children, feed, events };
}

export const route = (p: string, port: number, peer = "127.0.0.1") => announce({ prefixes: [p], communities: [[12345, port]], peer });

