// EJS includes read files: resolved relative to the including template.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import type { ServicesMap } from "../../src/services.js";
import { templateData } from "../../src/services.js";
import { compileTemplate } from "../../src/template.js";

const map: ServicesMap = { services: { 443: ["10.0.0.1/32"] }, backends: { 443: [] }, ports: [443] };

function compile(text: string, file: string) {
  const r = compileTemplate(text, file);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe("templates on disk", () => {
  it("includes resolve relative to the template's file", () => {
    const dir = mkdtempSync(`${tmpdir()}/exacast-tpl-`);
    writeFileSync(`${dir}/part.ejs`, "<% for (const p of ports) { %>[<%= p %>]<% } %>");
    writeFileSync(`${dir}/main.ejs`, "main <%- include('part.ejs') %> <%= addr(services[443][0]) %>");
    const t = compile(`main <%- include('part.ejs') %> <%= addr(services[443][0]) %>`, `${dir}/main.ejs`);
    expect(t.render(templateData(map))).toBe("main [443] 10.0.0.1");
    rmSync(dir, { recursive: true, force: true });
  });

});
