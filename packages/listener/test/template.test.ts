import { describe, expect, it } from "vitest";
import type { ServicesMap } from "../src/services.js";
import { templateData } from "../src/services.js";
import { compileTemplate } from "../src/template.js";

const map: ServicesMap = { services: { 443: ["10.0.0.1/32"] }, backends: { 443: [] }, ports: [443] };

function compile(text: string, file = "/t/x.ejs") {
  const r = compileTemplate(text, file);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe("templates", () => {
  it("write values as they are: no HTML escaping", () => {
    const t = compile(`<%= "a<b>&\\"c'" %> <%- "x&y" %> <%= undefined %><%= null %>|`);
    expect(t.render(templateData(map))).toBe(`a<b>&"c' x&y |`);
  });

  it("a JavaScript syntax error names the file and line", () => {
    const r = compileTemplate("line 1\n<% for (const p of ports) { %>\nport <%= p + %>\n<% } %>\n", "/t/bad.ejs");
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/^\/t\/bad\.ejs:3: Unexpected token/) });
  });

  it("an unclosed tag names the line it opens on", () => {
    const r = compileTemplate("a\nb\n<% if (x) {\nc\n", "/t/open.ejs");
    expect(r).toEqual({ ok: false, error: '/t/open.ejs:3: Could not find matching close tag for "<%".' });
  });

  it("a template that throws says where, in one line", () => {
    const t = compile("ok\n<%= services[80].length %>\n", "/t/throws.ejs");
    expect(() => t.render(templateData(map))).toThrow(/^\/t\/throws\.ejs:2: Cannot read properties of undefined/);
  });

  it("sees the template's vars, and a copy of them", () => {
    const t = compile("bind <%= vars.bind ?? '*' %>:443 <%= vars.n + 1 %><% vars.bind = 'changed' %>");
    const vars = { bind: "127.0.0.1", n: 41 };
    expect(t.render(templateData(map, vars))).toBe("bind 127.0.0.1:443 42");
    expect(vars.bind).toBe("127.0.0.1");
    expect(compile("<%= vars.bind ?? '*' %>").render(templateData(map))).toBe("*");
  });
});
