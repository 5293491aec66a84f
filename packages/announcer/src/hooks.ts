// `execute`: a command run on every state change of an app (ExaBGP
// healthcheck's --execute, anycast-healthchecker's reconfigure command), with
// the app, its new and previous state and its VIPs in the environment.
//
// Hooks never delay checks: they run beside them, through the runtime's
// process runner (own process group, killed whole at the timeout). One app's
// hooks run one at a time, in the order of its changes, so a script sees
// DOWN then UP as healthcheck's would; changes that come while one runs wait.
// At most MAX_WAITING wait per app: beyond that the newest change is folded
// into the last one waiting (its EXACAST_PREVIOUS stays the state the script
// will have seen before it; a change back to that state is dropped), so a
// flapping app cannot pile up processes and its script still ends knowing
// the latest state.

import type { Logger } from "@exacast/core";
import { durationSchema } from "@exacast/core";
import type { ProcessOutcome, RunOptions } from "@exacast/runtime";
import { z } from "zod";
import type { AnnouncerObserver } from "./announcer-view.js";
import type { StateName } from "./fsm.js";

export interface HookSpec {
  /** An argument vector, or one string for /bin/sh (shell: true). */
  readonly command: readonly string[] | string;
  readonly shell: boolean;
  readonly timeout: number;
}

export const HOOK_TIMEOUT_MS = 30_000;
/** Changes of one app that may wait for its running hook. */
export const MAX_WAITING = 8;

const argvSchema = z
  .array(z.string().min(1, "expected a non-empty argument").max(4096).refine((s) => !s.includes("\0"), "NUL byte in argument"))
  .min(1, "expected the program and its arguments, e.g. [/usr/local/bin/on-change]")
  .max(256);

const hookObject = z
  .strictObject({
    command: z.union([z.string().min(1).max(4096).refine((s) => !s.includes("\0"), "NUL byte in command"), argvSchema]),
    shell: z.boolean().optional(),
    timeout: durationSchema.refine((v) => v >= 1 && v <= 3_600_000, "timeout must be 1ms..1h").optional(),
  })
  .superRefine((v, ctx) => {
    if (typeof v.command === "string" && v.shell !== true) {
      ctx.addIssue({ code: "custom", path: ["command"], message: "a command string runs through /bin/sh only with shell: true; otherwise give an argument array" });
    }
  });

/** `execute: [argv…]` or `{ command, shell, timeout }`; null: none (an app can turn off the default). */
export const hookSchema = z.union([
  z.null(),
  argvSchema.transform((command): HookSpec => ({ command, shell: false, timeout: HOOK_TIMEOUT_MS })),
  hookObject.transform((h): HookSpec => ({ command: h.command, shell: h.shell ?? false, timeout: h.timeout ?? HOOK_TIMEOUT_MS })),
]);

export interface HookEvent {
  readonly app: string;
  readonly state: StateName;
  readonly previous: StateName;
  readonly vips: readonly string[];
}

/** The environment a hook gets; STATE is healthcheck's own variable, for scripts moved over as they are. */
export function hookEnv(e: HookEvent): Record<string, string> {
  return {
    EXACAST_APP: e.app,
    EXACAST_STATE: e.state.toLowerCase(),
    EXACAST_PREVIOUS: e.previous.toLowerCase(),
    EXACAST_VIPS: e.vips.join(" "),
    STATE: e.state,
  };
}

export type HookRun = (command: readonly string[] | string, opts: RunOptions) => Promise<ProcessOutcome>;

interface Lane {
  running: boolean;
  waiting: { spec: HookSpec; event: HookEvent }[];
}

export class HookRunner {
  private readonly lanes = new Map<string, Lane>();
  private stopped = false;
  /** Hooks started, and those that failed or timed out (for /metrics and tests). */
  readonly stats = { runs: 0, failures: 0, coalesced: 0 };

  constructor(
    private readonly run: HookRun,
    private readonly log: Logger,
  ) {}

  /** An app changed state: run its hook (now, or after the one running). */
  changed(spec: HookSpec | null, event: HookEvent): void {
    if (!spec || this.stopped) return;
    let lane = this.lanes.get(event.app);
    if (!lane) this.lanes.set(event.app, (lane = { running: false, waiting: [] }));
    if (!lane.running) return void this.start(lane, spec, event);
    if (lane.waiting.length < MAX_WAITING) return void lane.waiting.push({ spec, event });
    this.stats.coalesced++;
    // The script never sees the last waiting state: it will still know the one before it.
    const last = lane.waiting.pop()!;
    if (event.state !== last.event.previous) lane.waiting.push({ spec, event: { ...event, previous: last.event.previous } });
  }

  /** No more hooks start (exit); those running are killed with the other process groups. */
  stop(): void {
    this.stopped = true;
  }

  /** Hooks running or waiting. */
  get busy(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += (l.running ? 1 : 0) + l.waiting.length;
    return n;
  }

  private start(lane: Lane, spec: HookSpec, event: HookEvent): void {
    lane.running = true;
    this.stats.runs++;
    void this.run(spec.command, { timeoutMs: spec.timeout, shell: spec.shell, env: hookEnv(event), killGraceMs: 1000 })
      .then(
        (r) => this.done(event, r),
        (e: Error) => this.done(event, null, e.message),
      )
      .finally(() => {
        lane.running = false;
        const next = lane.waiting.shift();
        if (next && !this.stopped) this.start(lane, next.spec, next.event);
        else if (!next) this.lanes.delete(event.app);
      });
  }

  private done(e: HookEvent, r: ProcessOutcome | null, error?: string): void {
    const fields = { app: e.app, state: e.state, previous: e.previous };
    if (r?.ok) return this.log.info("hook_done", { ...fields, ms: Math.round(r.durationMs) });
    this.stats.failures++;
    const said = r?.output.split("\n").find((l) => l.trim() !== "")?.slice(0, 200);
    this.log.warn("hook_failed", { ...fields, status: r ? r.status : `could not run: ${error}`, ...(said ? { output: said } : {}) });
  }
}

/** The announcer's state changes → the app's hook. */
export function hookObserver(runner: HookRunner): Required<Pick<AnnouncerObserver, "changed">> {
  return {
    changed: (e, previous) =>
      runner.changed(e.spec.execute ?? null, { app: e.spec.name, state: e.state.name, previous: previous.name, vips: e.spec.vips.map((p) => p.text) }),
  };
}
