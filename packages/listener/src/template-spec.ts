// `--template SRC:DEST[:CMD]`, as consul-template's -template reads it: the
// text is split at its first two colons. SRC and DEST are paths without a
// colon; CMD, that template's reload, is everything after the second colon,
// colons included (`systemctl reload haproxy; logger -t lb a:b`). A path with
// a colon in it cannot be said on the command line: name it in a config file.
// (consul-template also takes `C:\…` drive letters; exacast runs on Linux only.)
// Pure: the caller makes the paths absolute.

import type { Result } from "@exacast/core";
import { err, ok } from "@exacast/core";

export interface TemplateFlag {
  readonly source: string;
  readonly destination: string;
  /** That template's reload, when given. */
  readonly reload?: string;
}

export function parseTemplateFlag(text: string): Result<TemplateFlag> {
  const first = text.indexOf(":");
  const second = first === -1 ? -1 : text.indexOf(":", first + 1);
  const source = first === -1 ? text : text.slice(0, first);
  const destination = first === -1 ? "" : text.slice(first + 1, second === -1 ? undefined : second);
  const reload = second === -1 ? undefined : text.slice(second + 1);
  const why = (what: string) => err(`--template: ${what}, got ${JSON.stringify(text)} (expected SRC:DEST or SRC:DEST:CMD)`);
  if (source.trim() === "") return why("SRC before the first colon is empty");
  if (destination.trim() === "") return why("DEST between the first and second colon is empty");
  if (reload !== undefined && reload.trim() === "") return why("CMD after the second colon is empty");
  return ok(reload === undefined ? { source, destination } : { source, destination, reload });
}
