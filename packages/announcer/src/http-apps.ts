// Apps registered over HTTP (PUT /v1/apps/{name}, GoCast's /register): they
// live until deleted or the process exits, or, with http.state_file, until
// deleted. Apps from the config file or Consul are not theirs to replace or
// delete (409). Every request is validated in full before anything changes.

import type { Logger } from "@exacast/core";
import type { AppInputObject, RequestContext } from "./app-request.js";
import { checkName, parseJsonBody, validateApp } from "./app-request.js";
import { parseGoCastRegister, parseGoCastUnregister } from "./gocast.js";
import type { AppRegistry } from "./registry.js";
import type { StateFile } from "./state-file.js";

/** A reply for the HTTP layer: a status and a JSON body (none for 204). */
export interface Reply {
  readonly status: number;
  readonly json?: unknown;
}

/** At most this many apps over HTTP: each one runs checks on this host. */
export const MAX_HTTP_APPS = 10_000;

const problemsReply = (problems: readonly string[]): Reply => ({ status: 400, json: { error: "invalid request", problems } });

export interface HttpAppsOptions {
  readonly allowExec: boolean;
  readonly maxApps?: number;
  /** An app was registered (created, replaced or the same again): http.cleanup_after's wait starts over. */
  readonly onRegistered?: (name: string) => void;
}

export class HttpApps {
  /** What each HTTP app was registered with, for the state file. */
  private readonly inputs = new Map<string, AppInputObject>();

  constructor(
    private readonly registry: AppRegistry,
    private readonly ctx: RequestContext,
    private readonly opts: HttpAppsOptions,
    private readonly store: StateFile | null,
    private readonly log: Logger,
    private readonly view: (name: string) => unknown,
  ) {}

  get size(): number {
    return this.inputs.size;
  }

  /** PUT /v1/apps/{name} with its body text. */
  put(name: string, bodyText: string): Reply {
    const body = parseJsonBody(bodyText);
    if (!body.ok) return problemsReply(body.error);
    return this.upsert(name, body.value, "put");
  }

  /** GET /register?name=…&vip=…&monitor=… (GoCast): 200 on success, as GoCast answers (its clients may test for exactly 200). */
  register(query: URLSearchParams): Reply {
    const q = parseGoCastRegister(query, { allowExec: this.opts.allowExec });
    if (!q.ok) return problemsReply(q.error);
    const { name, input, warnings } = q.value;
    const r = this.upsert(name, input, "gocast");
    if (r.status >= 300) return r;
    for (const w of warnings) this.log.warn("gocast_register_warning", { app: name, warning: w });
    const json = warnings.length > 0 ? { ...(r.json as object), warnings } : r.json;
    return { status: 200, json };
  }

  /** DELETE /v1/apps/{name}. */
  remove(name: string): Reply {
    const bad = checkName(name);
    if (bad.length > 0) return problemsReply(bad);
    const owner = this.registry.get(name)?.spec.source;
    if (owner === undefined) return { status: 404, json: { error: `no app named ${name}` } };
    if (owner !== "http") return this.notOurs(name, owner, "deleted");
    this.registry.remove(name);
    this.inputs.delete(name);
    this.persist();
    this.log.info("http_app_deleted", { app: name });
    return { status: 204 };
  }

  /** GET /unregister?name=N (GoCast): 200 whether or not it was registered, as GoCast answers. */
  unregister(query: URLSearchParams): Reply {
    const q = parseGoCastUnregister(query);
    if (!q.ok) return problemsReply(q.error);
    const r = this.remove(q.value);
    if (r.status === 404) return { status: 200, json: { result: "not registered", name: q.value } };
    return r.status === 204 ? { status: 200, json: { result: "deleted", name: q.value } } : r;
  }

  /** Run the apps of the state file again (at start); those that no longer validate are logged and dropped. */
  restore(saved: readonly unknown[]): void {
    for (const item of saved) {
      const name = typeof item === "object" && item !== null ? (item as { name?: unknown }).name : undefined;
      if (typeof name !== "string") {
        this.log.error("state_file_app_skipped", { problems: "an entry without a name" });
        continue;
      }
      const r = this.upsert(name, item, "state_file");
      if (r.status >= 300) {
        const j = r.json as { error?: string; problems?: string[] } | undefined;
        this.log.error("state_file_app_skipped", { app: name, problems: (j?.problems ?? [j?.error ?? `status ${r.status}`]).join("; ") });
      }
    }
    this.persist();
  }

  private upsert(name: string, raw: unknown, via: "put" | "gocast" | "state_file"): Reply {
    const bad = checkName(name);
    if (bad.length > 0) return problemsReply(bad);
    const owner = this.registry.get(name)?.spec.source;
    if (owner !== undefined && owner !== "http") return this.notOurs(name, owner, "replaced");
    const v = validateApp(name, raw, "http", this.ctx);
    if (!v.ok) return problemsReply(v.error);
    const max = this.opts.maxApps ?? MAX_HTTP_APPS;
    if (owner === undefined && this.inputs.size >= max) {
      return { status: 507, json: { error: `at most ${max} apps can be registered over HTTP; delete some first` } };
    }
    const result = this.registry.upsert(v.value.spec);
    this.inputs.set(name, v.value.input);
    if (via !== "state_file") this.opts.onRegistered?.(name);
    if (result !== "unchanged") {
      this.persist();
      this.log.info(result === "created" ? "http_app_created" : "http_app_replaced", { app: name, via });
    }
    return { status: result === "created" ? 201 : 200, json: { result, app: this.view(name) } };
  }

  private notOurs(name: string, owner: string, what: string): Reply {
    const from = owner === "config" ? "the config file" : owner === "consul" ? "Consul" : owner;
    return { status: 409, json: { error: `app ${name} comes from ${from} and cannot be ${what} over HTTP`, source: owner } };
  }

  private persist(): void {
    this.store?.save([...this.inputs.values()]);
  }
}
