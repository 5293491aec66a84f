import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authChallenge, credentialOf } from "../src/http-auth.js";
import { escapeHtml, html, htmlText, raw } from "../src/html.js";
import { ago, humanDuration, pill, section, statusPage, table } from "../src/status-layout.js";

const s = (h: ReturnType<typeof html>) => htmlText(h);

describe("html: values are escaped unless built as Html", () => {
  it("escapes & < > \" ' in text and attribute values", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    const name = `"><script>alert(1)</script>`;
    expect(s(html`<td title="${name}">${name}</td>`)).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>',
    );
  });

  it("Html values and arrays of them go in as they are; null, undefined and false as nothing", () => {
    const cells = ["a<b", "c"].map((c) => html`<td>${c}</td>`);
    expect(s(html`<tr>${cells}${null}${undefined}${false}${0}</tr>`)).toBe("<tr><td>a&lt;b</td><td>c</td>0</tr>");
    expect(s(html`${raw("<b>")}`)).toBe("<b>");
  });

  it("no string a value holds can open a tag or leave its attribute", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom("<", ">", "&", '"', "'", "=", "/", "a", "é", "\u0000") })), (v) => {
        const e = s(html`${v}`);
        expect(e).toMatch(/^[^<>"']*$/);
        expect(s(html`<td title="${v}">${v}</td>`)).toBe(`<td title="${e}">${e}</td>`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("status layout", () => {
  it("durations for people", () => {
    expect([0, 850, 1000, 59_999, 60_000, 3_599_000, 3_600_000, 90_061_000, -5, Infinity].map(humanDuration)).toEqual([
      "0ms",
      "850ms",
      "1s",
      "59s",
      "1m 0s",
      "59m 59s",
      "1h 0m",
      "1d 1h",
      "0ms",
      "?",
    ]);
    expect(s(ago("2026-01-01T00:00:10.000Z", Date.parse("2026-01-01T00:01:15.000Z")))).toBe(
      '<time datetime="2026-01-01T00:00:10.000Z" title="2026-01-01T00:00:10.000Z">1m 5s ago</time>',
    );
    expect(s(ago(null, 0))).toContain("—");
  });

  it("tables: a group row spans every column, numbers align right, an empty table says so", () => {
    const t = s(table([{ label: "A" }, { label: "N", num: true }], [{ group: true, cells: ["port 80"] }, { tone: "bad", cells: ["x<", 3] }], "none"));
    expect(t).toContain('<tr class="group"><td colspan="2">port 80</td></tr>');
    expect(t).toContain('<tr class="bad"><td>x&lt;</td><td class="num">3</td></tr>');
    expect(s(table([{ label: "A" }], [], "nothing <here>"))).toBe('<p class="empty">nothing &lt;here&gt;</p>');
  });

  it("the document: refresh, title with the host, no script, links to /status and /metrics", () => {
    const page = statusPage({
      program: "exacast-listener",
      host: "<lb>",
      meta: ["v1"],
      refreshSeconds: 7,
      facts: [{ label: "Backends", value: 3, tone: "ok" }],
      sections: [section("S", "note", html`<p>${pill("up", "ok")}</p>`)],
      now: 0,
    });
    expect(page).toContain('<meta http-equiv="refresh" content="7">');
    expect(page).toContain("<title>&lt;lb&gt; · exacast-listener</title>");
    expect(page).toContain('<div class="fact ok"><b>3</b><span>Backends</span></div>');
    expect(page).toContain('<h2>S <small>note</small></h2><p><span class="pill ok">up</span></p>');
    expect(page).not.toMatch(/<script|src=|<link/);
    expect(page).toMatch(/href="status".*href="metrics"/);
  });
});

describe("credentialOf: the token a request carries", () => {
  const basic = (pair: string) => `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;

  it("Bearer, or Basic's password with any user name (browsers)", () => {
    expect(credentialOf("Bearer abc")).toBe("abc");
    expect(credentialOf("bearer  abc ")).toBe("abc");
    expect(credentialOf(basic("admin:s3cret"))).toBe("s3cret");
    expect(credentialOf(basic(":s3cret"))).toBe("s3cret");
    expect(credentialOf(basic("u:pa:ss"))).toBe("pa:ss");
    expect(credentialOf(basic("u:jalapeño"))).toBe("jalapeño");
  });

  it("nothing else: no header, no password, not base64, other schemes", () => {
    for (const h of [undefined, "", "Bearer", "Bearer a b", "Basic", basic("nopassword"), basic("user:"), "Basic t0ken-for-tests", "Basic YWJj=", "Digest x", "Token abc"]) {
      expect(credentialOf(h)).toBeNull();
    }
  });

  it("challenges: Basic for the page (browsers prompt), Bearer for the API", () => {
    expect(authChallenge(true)).toBe('Basic realm="exacast", charset="UTF-8"');
    expect(authChallenge(false)).toBe('Bearer realm="exacast"');
  });
});
