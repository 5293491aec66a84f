// Config file + flags + compiled templates: everything a (re)start needs, or
// every problem with it. Used at start (problems → exit 2) and on SIGHUP
// (problems → the running setup stays).

import { readFile } from "node:fs/promises";
import type { Result } from "@exacast/core";
import { err, ok } from "@exacast/core";
import { runProcess } from "@exacast/runtime";
import type { ConfigOverrides, ListenerConfig } from "./config.js";
import { configBaseDir, parseListenerConfig } from "./config.js";
import type { IdLookup } from "./owner.js";
import { resolveOwner } from "./owner.js";
import type { CompiledTemplate } from "./template.js";
import { loadTemplate } from "./template.js";

export interface Setup {
  readonly config: ListenerConfig;
  /** Compiled, in the order of config.templates. */
  readonly templates: readonly CompiledTemplate[];
}

export interface SetupSource {
  readonly config: string | undefined;
  readonly overrides: ConfigOverrides;
}

/** Users and groups as chown(1) finds them (NSS: /etc/passwd, LDAP, systemd-userdb). */
export const getentLookup: IdLookup = async (db, name) => {
  const r = await runProcess(["getent", db, name], { timeoutMs: 5000 });
  if (!r.ok) return undefined;
  const id = Number(r.output.split("\n")[0]?.split(":")[2]);
  return Number.isInteger(id) && id >= 0 ? id : undefined;
};

export async function loadSetup(src: SetupSource, cwd: string, lookup: IdLookup = getentLookup): Promise<Result<Setup, string[]>> {
  let text = "";
  if (src.config !== undefined) {
    try {
      text = await readFile(src.config, "utf8");
    } catch (e) {
      return err([`${src.config}: cannot read config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
  }
  const config = parseListenerConfig(text, src.config ?? "command line", configBaseDir(src.config, cwd), src.overrides);
  if (!config.ok) return config;
  const problems: string[] = [];
  const templates: CompiledTemplate[] = [];
  const specs = [];
  for (const [i, spec] of config.value.templates.entries()) {
    const t = await loadTemplate(spec.source);
    if (t.ok) templates.push(t.value);
    else problems.push(t.error);
    const owner = await resolveOwner(spec.user, spec.group, lookup, `${src.config ?? "command line"}: templates[${i}]`);
    if (owner.ok) specs.push({ ...spec, owner: owner.value });
    else problems.push(...owner.error);
  }
  if (problems.length > 0) return err(problems);
  return ok({ config: { ...config.value, templates: specs }, templates });
}
