// The registry of check kinds: every kind is one module (schema, runner,
// description) found by its key; the `checks:` schema dispatches on it and
// refuses keys that are not kinds, inherited ones included.

import { describe, expect, it } from "vitest";
import { CHECK_KINDS, describeCheck, resolveCheckPaths } from "../src/checks/index.js";
import { checkSchema } from "../src/check-schema.js";

const parse = (v: unknown) => checkSchema.safeParse(v);

describe("check kinds", () => {
  it("each key names its own kind module", () => {
    expect(Object.keys(CHECK_KINDS)).toEqual(["tcp", "udp", "http", "exec", "file_absent", "consul", "listening"]);
    for (const [key, kind] of Object.entries(CHECK_KINDS)) expect(kind.kind).toBe(key);
  });

  it("the short and long forms of every kind parse to specs each kind describes", () => {
    const forms: [unknown, string][] = [
      [{ tcp: "127.0.0.1:443" }, "tcp 127.0.0.1:443"],
      [{ tcp: "[::1]:80" }, "tcp [::1]:80"],
      [{ udp: { address: "127.0.0.1:53", send: "00", expect: "AB" } }, "udp 127.0.0.1:53 expect ab"],
      [{ http: { url: "http://127.0.0.1/h", status: [200, 204, 200], contains: "ok", follow_redirects: true } }, 'http http://127.0.0.1/h status 200|204 contains "ok" follow_redirects'],
      [{ exec: ["/bin/check", "--fast"] }, 'exec ["/bin/check","--fast"]'],
      [{ exec: { command: "test -e /x", shell: true } }, 'exec (shell) "test -e /x"'],
      [{ file_absent: "web.off" }, "file_absent web.off"],
      [{ consul: null }, "consul (the service named as the app)"],
      [{ consul: { service: "web-1" } }, 'consul service "web-1"'],
      [{ listening: "udp:53" }, "listening udp:53 (any address)"],
    ];
    for (const [input, text] of forms) {
      const r = parse(input);
      expect(r.success ? describeCheck(r.data) : r.error.issues).toBe(text);
    }
  });

  it("relative paths resolve against the config's folder; other kinds are left as they are", () => {
    expect(resolveCheckPaths({ kind: "file_absent", path: "web.off" }, "/etc/exacast")).toEqual({ kind: "file_absent", path: "/etc/exacast/web.off" });
    expect(resolveCheckPaths({ kind: "file_absent", path: "/run/x" }, "/etc/exacast")).toEqual({ kind: "file_absent", path: "/run/x" });
    const tcp = { kind: "tcp" as const, target: { host: "127.0.0.1", port: 1 } };
    expect(resolveCheckPaths(tcp, "/etc")).toBe(tcp);
  });

  it("a key that is not a kind is refused by name, inherited names too", () => {
    for (const key of ["toString", "__proto__", "constructor", "ping"]) {
      const r = parse(JSON.parse(`{"${key}": "x"}`));
      expect(r.success, key).toBe(false);
      if (!r.success) expect(r.error.issues[0]!.message).toMatch(/^unknown check kind; expected one of tcp, udp, http, exec, file_absent, consul, listening$/);
    }
    const r = parse({ exec: "ls" });
    expect(!r.success && r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([expect.stringMatching(/^exec: /)]);
  });
});
