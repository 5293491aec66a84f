// The exec: child, supervised: the shell around exec-supervisor.ts's state
// machine. It does the actions (spawn through the runtime, signals, timers on
// the clock, logs) and feeds back what happened. Only the current child's
// exit counts: one that was already replaced says nothing.

import type { Logger } from "@exacast/core";
import type { Child, ChildOptions, Clock, TimerHandle } from "@exacast/runtime";
import { startChild } from "@exacast/runtime";
import type { ExecSpec } from "./exec-config.js";
import type { SupervisorAction, SupervisorEvent, SupervisorState, TimerName } from "./exec-supervisor.js";
import { INITIAL, step } from "./exec-supervisor.js";

export type StartChild = (command: string | readonly string[], opts: ChildOptions) => Child;

export class ExecChild {
  private state: SupervisorState = INITIAL;
  private child: Child | undefined;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly stoppedWaiters: (() => void)[] = [];
  /** Children started so far (for /status and tests). */
  starts = 0;

  constructor(
    readonly spec: ExecSpec,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly start: StartChild = startChild,
  ) {}

  get pid(): number | undefined {
    return this.state.kind === "running" ? this.child?.pid : undefined;
  }

  get stateName(): SupervisorState["kind"] {
    return this.state.kind;
  }

  /** Every template rendered once: start the child (once). */
  ready(): void {
    this.send({ kind: "ready" });
  }

  /** Files changed: reload_signal, or a restart. */
  changed(): void {
    this.send({ kind: "changed" });
  }

  /** Stop the child; resolves once it is gone. */
  stop(): Promise<void> {
    if (this.state.kind === "stopped") return Promise.resolve();
    const gone = new Promise<void>((resolve) => this.stoppedWaiters.push(resolve));
    this.send({ kind: "stop" });
    return gone;
  }

  private send(event: SupervisorEvent): void {
    const next = step(this.state, event, this.clock.now(), this.spec);
    this.state = next.state;
    for (const a of next.actions) this.act(a);
  }

  private act(a: SupervisorAction): void {
    switch (a.kind) {
      case "spawn":
        return this.spawn();
      case "signal":
        this.child?.signal(a.signal);
        return;
      case "kill":
        this.child?.signalGroup("SIGKILL");
        return;
      case "timer":
        this.clock.clearTimeout(this.timers.get(a.name));
        this.timers.set(
          a.name,
          this.clock.setTimeout(() => {
            this.timers.delete(a.name);
            this.send({ kind: a.name === "backoff" ? "backoff_over" : "kill_timeout" });
          }, a.ms),
        );
        return;
      case "cancel":
        this.clock.clearTimeout(this.timers.get(a.name));
        this.timers.delete(a.name);
        return;
      case "log":
        this.log[a.level](a.event, { ...a.fields, ...(this.child?.pid !== undefined ? { pid: this.child.pid } : {}) });
        return;
      case "stopped":
        this.child = undefined;
        for (const w of this.stoppedWaiters.splice(0)) w();
        return;
    }
  }

  private spawn(): void {
    const child = this.start(this.spec.command, { shell: this.spec.shell });
    this.child = child;
    this.starts++;
    if (child.pid !== undefined) this.log.info("exec_started", { pid: child.pid, command: commandText(this.spec.command) });
    void child.exited.then((exit) => {
      if (this.child === child) this.send({ kind: "exited", status: exit.status });
    });
  }
}

const commandText = (c: string | readonly string[]): string => (typeof c === "string" ? c : c.join(" "));
