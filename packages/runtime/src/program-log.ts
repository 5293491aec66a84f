// A program's logger: one line per event on stderr (stdout is ExaBGP's API).
// JSON lines go through ndjson's serializer, which also survives a value that
// cannot be serialized (a cycle) instead of throwing from a log call. It is a
// stream piped to stderr: after the first tick every record is written at
// once, as stderr writes are; records piling up behind a stderr that no
// longer drains are dropped, not held.

import type { Logger, LoggerOptions, LogFields } from "@exacast/core";
import { createLogger } from "@exacast/core";
import ndjson from "ndjson";

const MAX_QUEUED = 1000;

export function programLogger(opts: Pick<LoggerOptions, "program" | "level" | "format">, out: NodeJS.WritableStream = process.stderr): Logger {
  if (opts.format !== "json") return createLogger({ ...opts, write: (line) => void out.write(line) });
  const lines = ndjson.stringify();
  lines.pipe(out);
  const emit = (record: LogFields) => {
    if (lines.writableLength < MAX_QUEUED) lines.write(record);
  };
  return createLogger({ ...opts, emit });
}
