// `exacast-listener render --input CAPTURE.ndjson --template SRC [--asn N] [--var K=V]…`:
// replay a capture of ExaBGP's JSON and print what the template makes of the
// services map at its end (or after line --until), so a template can be tried
// without ExaBGP. A capture is newline-delimited JSON, read with ndjson: off
// the hot path, every message is parsed anyway (the listener's stdin reader
// splits lines itself to skip most of them unparsed).

import { once } from "node:events";
import { createReadStream } from "node:fs";
import { DEFAULT_COMMUNITY_ASN, MAX_LINE_LENGTH } from "@exacast/core";
import ndjson from "ndjson";
import { Ingest } from "./ingest.js";
import { Rib } from "./rib.js";
import { buildServices, templateData } from "./services.js";
import { loadTemplate } from "./template.js";

export interface RenderCommand {
  input: string;
  template: string;
  asn: number | undefined;
  until: number | undefined;
  vars: Record<string, string>;
}

/** The rendered text, or the problems (exit 2: bad input; exit 1: the template threw). */
export async function renderCapture(cmd: RenderCommand, warn: (msg: string) => void): Promise<{ text: string } | { code: 1 | 2; problems: string[] }> {
  const template = await loadTemplate(cmd.template);
  if (!template.ok) return { code: 2, problems: [template.error] };
  const rib = new Rib({ communityAsn: cmd.asn ?? DEFAULT_COMMUNITY_ASN, maxRoutes: Number.MAX_SAFE_INTEGER });
  const ingest = new Ingest(rib, { staleGraceMs: 0, parseAll: true }, {
    rejected: (lineNo, _reason, error) => warn(`${cmd.input}:${lineNo}: skipped: ${error}`),
  });
  const read = await replay(cmd, ingest, warn);
  if (read !== undefined) return { code: 2, problems: [`${cmd.input}: cannot read: ${read}`] };
  try {
    return { text: template.value.render(templateData(buildServices(rib.routes()), cmd.vars)) };
  } catch (e) {
    return { code: 1, problems: [(e as Error).message] };
  }
}

/**
 * Every message of the capture into `ingest`, numbered as the capture's lines
 * (a capture has no blank lines); a row that is not JSON is warned about and
 * skipped. Undefined, or why the capture could not be read.
 */
async function replay(cmd: RenderCommand, ingest: Ingest, warn: (msg: string) => void): Promise<string | undefined> {
  const messages = ndjson.parse({ maxLength: MAX_LINE_LENGTH } as ndjson.ParseOptions);
  let lineNo = 0;
  let fatal: string | undefined;
  messages.on("data", (value: unknown) => {
    lineNo++;
    if (cmd.until === undefined || lineNo <= cmd.until) ingest.message(value, lineNo);
  });
  const done = new Promise<void>((resolve) => {
    messages.on("end", resolve);
    // ndjson's strict mode reports a bad row and reads on; anything else ends the replay.
    messages.on("error", (e: Error) => {
      if (e.message.startsWith("Could not parse row")) return warn(`${cmd.input}:${++lineNo}: skipped: not JSON: ${e.message}`);
      fatal = e.message === "maximum buffer reached" ? `a line over ${MAX_LINE_LENGTH} characters` : e.message;
      resolve();
    });
  });
  try {
    // Written chunk by chunk rather than piped: a pipe would stop at the first bad row's error.
    for await (const chunk of createReadStream(cmd.input)) {
      if (fatal !== undefined) break;
      if (!messages.write(chunk)) await Promise.race([once(messages, "drain"), done]);
    }
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
  if (fatal === undefined) messages.end();
  await done;
  return fatal;
}
