// `exacast-listener status`: the running listener's neighbors, routes,
// services and last render per template, read from its GET /status. The
// address comes from the config's `http.listen` (only that key is read, so
// a config being edited elsewhere does not stop an operator from looking).

import type { Result, StatusTarget } from "@exacast/core";
import { err, ok, parseYaml, runStatus, statusUrlFor, validate } from "@exacast/core";
import { listenerConfigSchema } from "./config.js";
import { formatListenerStatus } from "./status-table.js";

const PROGRAM = "exacast-listener";
export const DEFAULT_CONFIG = "/etc/exacast/listener.yaml";

export const STATUS_USAGE = `Usage: ${PROGRAM} status [--config FILE | --url URL] [--json] [--timeout D]

Asks the running listener for its state (GET /status on its http.listen
address) and prints, as "birdc show protocols" does: the neighbors (session
state, service routes held, stale routes), the services map (port, prefixes,
backends) and each template's last render (result, how long ago, error).

Options:
  --config FILE     the listener's config: its http.listen
                    (default ${DEFAULT_CONFIG}); a wildcard listen address
                    (0.0.0.0, ::) is asked on loopback
  --url URL         ask this address instead, e.g. http://127.0.0.1:9180
  --json            print the JSON answer as it is, for scripts
  --timeout D       give up after D (default 5s)
  -h, --help        this text

Exit status: 0 with an answer; 1 when the listener cannot be reached or
answers something else; 2 for a bad command line or a config without
http.listen (the listener serves /status only with it set).
`;

/** The config's `http:` → where the listener answers. Pure. */
export function listenerTarget(text: string, file: string): Result<StatusTarget, string[]> {
  const raw = parseYaml(text, file);
  if (!raw.ok) return raw;
  const http = (raw.value as Record<string, unknown> | null)?.http;
  if (http === undefined || http === null) return err([`${file}: no http: section, so the listener serves no /status (set http.listen, or give --url)`]);
  const h = validate(listenerConfigSchema.shape.http, http, `${file}: http`);
  if (!h.ok) return h;
  return ok({ url: statusUrlFor(h.value!.listen), token: h.value!.token });
}

export function statusCommand(argv: readonly string[]): Promise<number> {
  return runStatus({ program: PROGRAM, usage: STATUS_USAGE, defaultConfig: DEFAULT_CONFIG, target: listenerTarget, format: formatListenerStatus }, argv);
}
