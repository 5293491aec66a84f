// `exacast-listener render --input CAPTURE.ndjson --template SRC [--asn N] [--var K=V]…`:
// replay a capture of ExaBGP's JSON and print what the template makes of the
// services map at its end (or after line --until), so a template can be tried
// without ExaBGP.

import { createReadStream } from "node:fs";
import { DEFAULT_COMMUNITY_ASN, readLines } from "@exacast/core";
import { Ingest } from "./ingest.js";
import { Rib } from "./rib.js";
import { buildServices, templateData } from "./services.js";
import { loadTemplate } from "./setup.js";

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
  const stream = createReadStream(cmd.input);
  try {
    await readLines(stream, {
      line: (text, lineNo) => {
        if (cmd.until === undefined || lineNo <= cmd.until) ingest.line(text, lineNo);
      },
      oversize: (lineNo, length) => ingest.oversize(lineNo, length),
    });
  } catch (e) {
    return { code: 2, problems: [`${cmd.input}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`] };
  }
  try {
    return { text: template.value.render(templateData(buildServices(rib.routes()), cmd.vars)) };
  } catch (e) {
    return { code: 1, problems: [(e as Error).message] };
  }
}
