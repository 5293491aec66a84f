// exacast-announcer entry point (the program arrives with the announcer issue).

import { parseArgs } from "node:util";
import { exitWithProblems, packageVersion } from "@exacast/core";

const PROGRAM = "exacast-announcer";

export const USAGE = `Usage: ${PROGRAM} [check] --config FILE [options]

Health-checks the apps on this host and writes ExaBGP text API commands on
stdout: "announce route <vip> next-hop self community [12345:<port> …]" while an
app is healthy, "withdraw route …" when it is not. Run it from exabgp.conf:

  process announcer { run ${PROGRAM} --config /etc/exacast/announcer.yaml; encoder text; }

Commands:
  (none)            run under ExaBGP
  check             validate the config, print the apps it would run, exit 0 or 2

Options:
  --config FILE     YAML config (see README)
  --log-format F    text | json (default text); logs go to stderr
  --log-level L     debug | info | warn | error (default info)
  -h, --help        this text
  -V, --version     print the version
`;

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        "log-format": { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (e) {
    exitWithProblems(PROGRAM, [(e as Error).message, "try --help"]);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.values.version) {
    process.stdout.write(`${PROGRAM} ${packageVersion(new URL("../package.json", import.meta.url))}\n`);
    return;
  }
  exitWithProblems(PROGRAM, ["not implemented yet"]);
}
