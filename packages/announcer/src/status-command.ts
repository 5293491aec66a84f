// `exacast-announcer status`: the running announcer's apps, states, last
// check results and announced VIPs, read from its GET /status. The address
// and token come from the config's `http:` (only that key is read, so a
// config being edited elsewhere does not stop an operator from looking).

import type { Result, StatusTarget } from "@exacast/core";
import { err, ok, parseYaml, runStatus, statusUrlFor, validate } from "@exacast/core";
import { HTTP_DEFAULT_LISTEN } from "./config.js";
import { httpConfigSchema } from "./config-schema.js";
import { formatAnnouncerStatus } from "./status-table.js";

const PROGRAM = "exacast-announcer";
export const DEFAULT_CONFIG = "/etc/exacast/announcer.yaml";

export const STATUS_USAGE = `Usage: ${PROGRAM} status [--config FILE | --url URL] [--json] [--timeout D]

Asks the running announcer for its state (GET /status on its http.listen
address) and prints, as "birdc show protocols" does: the process, ExaBGP's
acks, Consul, then each app (source, state, since when, VIPs, ports, why),
each check's last result and latency, and the VIPs announced with their
communities.

Options:
  --config FILE     the announcer's config: its http.listen and http.token
                    (default ${DEFAULT_CONFIG}); a wildcard listen address
                    (0.0.0.0, ::) is asked on loopback
  --url URL         ask this address instead, e.g. http://127.0.0.1:9179
                    (the token, if one is needed, from $EXACAST_TOKEN)
  --json            print the JSON answer as it is, for scripts
  --timeout D       give up after D (default 5s)
  -h, --help        this text

Exit status: 0 with an answer; 1 when the announcer cannot be reached, refuses
the token, or answers something else; 2 for a bad command line or a config
without http: (the announcer serves /status only with http: set).
`;

/** The config's `http:` → where the announcer answers. Pure. */
export function announcerTarget(text: string, file: string): Result<StatusTarget, string[]> {
  const raw = parseYaml(text, file);
  if (!raw.ok) return raw;
  const http = (raw.value as Record<string, unknown> | null)?.http;
  if (http === undefined || http === null) return err([`${file}: no http: section, so the announcer serves no /status (set http.listen, or give --url)`]);
  const h = validate(httpConfigSchema, http, `${file}: http`);
  if (!h.ok) return h;
  return ok({ url: statusUrlFor(h.value.listen ?? HTTP_DEFAULT_LISTEN), token: h.value.token ?? null });
}

export function statusCommand(argv: readonly string[]): Promise<number> {
  return runStatus({ program: PROGRAM, usage: STATUS_USAGE, defaultConfig: DEFAULT_CONFIG, target: announcerTarget, format: formatAnnouncerStatus }, argv);
}
