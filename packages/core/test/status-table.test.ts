import { describe, expect, it } from "vitest";
import { ageOf, cellText, formatAge, formatTable, listCell, parseStatusArgs, statusUrlFor, statusUrlOf } from "@exacast/core";

describe("formatTable", () => {
  it("pads every column to its widest cell, two blanks apart, no trailing blanks", () => {
    expect(formatTable(["App", "State", "Reason"], [["web", "UP", "ok"], ["a-long-name", "DOWN", ""]])).toBe(
      ["App          State  Reason", "web          UP     ok", "a-long-name  DOWN"].join("\n") + "\n",
    );
  });

  it("shows null and undefined as -, numbers as they are", () => {
    expect(formatTable(["A", "B", "C"], [[null, undefined, 42]])).toBe("A  B  C\n-  -  42\n");
  });

  it("never lets a control character reach the terminal", () => {
    const out = formatTable(["Reason"], [["bad\n\x1b[31mred\r\tend\x7f"]]);
    expect(out).toBe("Reason\nbad\\n\\x1b[31mred\\r\\tend\\x7f\n");
    expect(out.split("\n")).toHaveLength(3);
  });

  it("cuts long cells", () => {
    expect(cellText("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
    expect(formatTable(["A"], [["y".repeat(500)]]).split("\n")[1]).toHaveLength(120);
  });
});

describe("ages and lists", () => {
  it.each([
    [0, "0ms"],
    [850, "850ms"],
    [42_000, "42s"],
    [312_000, "5m12s"],
    [3 * 3600_000 + 4 * 60_000, "3h04m"],
    [2 * 86_400_000 + 7 * 3600_000, "2d07h"],
    [-5, "0ms"],
  ])("formatAge(%d) is %s", (ms, text) => expect(formatAge(ms)).toBe(text));

  it("ages an ISO time at now, and says - for what is not a time", () => {
    const now = Date.parse("2026-01-01T00:01:00Z");
    expect(ageOf("2026-01-01T00:00:30Z", now)).toBe("30s");
    expect(ageOf("yesterday", now)).toBe("-");
    expect(ageOf(null, now)).toBe("-");
  });

  it("lists a few items, then how many more", () => {
    expect(listCell([])).toBe("-");
    expect(listCell(["a", "b"], 4)).toBe("a b");
    expect(listCell(["a", "b", "c", "d", "e", "f"], 4)).toBe("a b c d …+2");
  });
});

describe("status arguments", () => {
  const parse = (...a: string[]) => parseStatusArgs(a, "/etc/exacast/x.yaml");

  it("reads the default config when given nothing", () => {
    expect(parse()).toEqual({ ok: true, value: { kind: "status", config: "/etc/exacast/x.yaml", url: undefined, json: false, timeoutMs: 5000 } });
  });

  it("takes --config, --json and --timeout", () => {
    expect(parse("--config", "a.yaml", "--json", "--timeout", "250ms")).toEqual({ ok: true, value: { kind: "status", config: "a.yaml", url: undefined, json: true, timeoutMs: 250 } });
  });

  it("takes --url in place of a config, and finds /status under it", () => {
    const r = parse("--url", "http://127.0.0.1:9179");
    expect(r).toEqual({ ok: true, value: { kind: "status", config: undefined, url: "http://127.0.0.1:9179/status", json: false, timeoutMs: 5000 } });
  });

  it("answers --help", () => expect(parse("-h")).toEqual({ ok: true, value: { kind: "help" } }));

  it.each([
    [["--config", "a", "--url", "http://h:1"], "give --config FILE or --url URL, not both"],
    [["--url", "ftp://h/"], "--url: expected an http:// or https:// URL"],
    [["--url", "not a url"], "--url: expected a URL like"],
    [["--timeout", "soon"], "--timeout:"],
    [["--timeout", "0s"], "--timeout: expected more than 0s"],
    [["--frobnicate"], "Unknown option '--frobnicate'"],
    [["extra"], "status:"],
  ])("refuses %j, naming the problem", (argv, problem) => {
    const r = parse(...argv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.join("\n")).toContain(problem);
  });
});

describe("status URLs", () => {
  it.each([
    ["http://127.0.0.1:9179", "http://127.0.0.1:9179/status"],
    ["http://127.0.0.1:9179/", "http://127.0.0.1:9179/status"],
    ["http://127.0.0.1:9179/status", "http://127.0.0.1:9179/status"],
    ["https://lb1.example:8443/exacast/", "https://lb1.example:8443/exacast/status"],
    ["http://[::1]:9180/status?x=1#y", "http://[::1]:9180/status"],
  ])("%s → %s", (given, url) => expect(statusUrlOf(given)).toEqual({ ok: true, value: url }));

  it("asks a wildcard listen address on loopback, IPv6 in brackets", () => {
    expect(statusUrlFor({ host: "0.0.0.0", port: 9179 })).toBe("http://127.0.0.1:9179/status");
    expect(statusUrlFor({ host: "::", port: 9180 })).toBe("http://[::1]:9180/status");
    expect(statusUrlFor({ host: "2001:db8::1", port: 1 })).toBe("http://[2001:db8::1]:1/status");
    expect(statusUrlFor({ host: "127.0.0.7", port: 2 })).toBe("http://127.0.0.7:2/status");
  });
});
