// exacast-listener entry point (the program arrives with the listener issue).

import { parseArgs } from "node:util";
import { exitWithProblems, packageVersion } from "@exacast/core";

const PROGRAM = "exacast-listener";

export const USAGE = `Usage: ${PROGRAM} --config FILE [options]
       ${PROGRAM} render --input CAPTURE.ndjson --template SRC [--asn N]

Reads ExaBGP's JSON on stdin, keeps every route per neighbor, builds the
services map port → prefixes from the <asn>:<port> communities, renders EJS
templates to files atomically and runs their check and reload commands.

  process listener { run ${PROGRAM} --config /etc/exacast/listener.yaml; encoder json; }

Options:
  --config FILE          YAML config (see README)
  --asn N                community ASN (default 12345)
  --template SRC:DEST    render SRC to DEST (repeatable)
  --reload CMD           run after a file changed
  --debounce D           render once no change came for D (default 200ms)
  --state-file F         write the services map as JSON to F
  --log-format F         text | json (default text); logs go to stderr
  --log-level L          debug | info | warn | error (default info)
  -h, --help             this text
  -V, --version          print the version
`;

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
      strict: false,
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
