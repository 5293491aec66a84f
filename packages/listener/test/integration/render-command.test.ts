// `render` reads a capture with ndjson: messages numbered as lines, a row
// that is not JSON warned about by line and skipped, --until cuts the replay,
// a missing file is exit 2.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { renderCapture } from "../../src/render-command.js";
import { announce, withdraw } from "../exa-lines.js";

const dir = mkdtempSync(`${tmpdir()}/exacast-render-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("render command", () => {
  it("replays a capture, warns about a bad row by line, stops at --until", async () => {
    writeFileSync(`${dir}/t.ejs`, "<%= JSON.stringify(services) %>");
    writeFileSync(
      `${dir}/c.ndjson`,
      [announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 443]] }), "not json {", '{"exabgp": "4.0.1"}', withdraw(["10.0.0.1/32"])].join("\n") + "\n",
    );
    const cmd = { input: `${dir}/c.ndjson`, template: `${dir}/t.ejs`, asn: undefined, vars: {} };
    const warnings: string[] = [];
    expect(await renderCapture({ ...cmd, until: undefined }, (w) => warnings.push(w))).toEqual({ text: "{}" });
    expect(warnings).toEqual([expect.stringMatching(/c\.ndjson:2: skipped: not JSON/), expect.stringMatching(/c\.ndjson:3: skipped: not an ExaBGP message/)]);
    expect(await renderCapture({ ...cmd, until: 3 }, () => {})).toEqual({ text: '{"443":["10.0.0.1/32"]}' });
    expect(await renderCapture({ ...cmd, input: `${dir}/none.ndjson`, until: undefined }, () => {})).toEqual({ code: 2, problems: [`${dir}/none.ndjson: cannot read: ENOENT`] });
  });
});
