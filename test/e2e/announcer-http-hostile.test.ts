// Hostile input to the registration API, the announcer bin run with pipes and
// the test playing ExaBGP (it answers `done` to every line and reads stdout):
// newlines and control characters in names, prefixes with commands after
// them, 10 MB bodies, wrong tokens, unknown fields. Each gets the right 4xx,
// and nothing reaches ExaBGP's stdin: every line written is a well-formed
// announce/withdraw, and the hostile requests added none.

import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { request } from "node:http";
import { isCommandLine } from "@exacast/core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { AnnouncerProcess } from "../harness/announcer.js";
import { Lab, quietPort, waitFor } from "../harness/index.js";
import { parsePrometheusText } from "../harness/prometheus.js";

const TOKEN = "hostile-test-token-9876543210";
const auth = { Authorization: `Bearer ${TOKEN}` };
const STATIC = "announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:22]";

/** A request as bytes on a socket: what no well-behaved client would send. */
function rawSocket(host: string, port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, host, () => s.end(bytes));
    let out = "";
    s.setEncoding("utf8").on("data", (d: string) => (out += d));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
  });
}

/** A body streamed in chunks, with or without a Content-Length; resolves with the status (or the error if the server cut it first). */
function bigBody(url: string, size: number, declareLength: boolean): Promise<number | string> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...auth, "Content-Type": "application/json" };
    if (declareLength) headers["Content-Length"] = String(size);
    const req = request(url, { method: "PUT", headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on("error", (e) => resolve(e.message));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size && !req.destroyed) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!req.write(chunk.subarray(0, n))) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe("announcer HTTP API: hostile input changes nothing on ExaBGP's stdin", () => {
  const lab = new Lab("announcer-hostile");
  const host = "127.0.0.1";
  let port = 0;
  let base = "";
  let proc: AnnouncerProcess;
  const config = `${lab.dir}/announcer.yaml`;

  const start = async () => {
    proc = new AnnouncerProcess(lab, ["--config", config], { name: `announcer-${Date.now()}` });
    await proc.waitLine(/^announce route 10\.255\.255\.1\/32 /);
    await proc.waitLog(/http_listening/);
  };

  beforeAll(async () => {
    port = await quietPort([host]);
    base = `http://${host}:${port}`;
    writeFileSync(
      config,
      [
        "next_hop: [192.0.2.2, 2001:db8::2]",
        "interval: 1s",
        "fast_interval: 50ms",
        "rise: 1",
        `http: { listen: "${host}:${port}", token: ${TOKEN}, state_file: ${lab.dir}/apps.json }`,
        "apps:",
        "  - { name: static, vip: 10.255.255.1/32, ports: [22] }",
      ].join("\n") + "\n",
    );
    await start();
  });

  afterAll(() => lab.close());

  it("every hostile request gets its 4xx, and stdout gets nothing from them", async () => {
    onTestFailed(() => console.log(lab.report()));
    const mark = proc.lines.length;
    const put = (name: string, body: unknown, headers: Record<string, string> = auth) =>
      fetch(`${base}/v1/apps/${name}`, { method: "PUT", headers, body: typeof body === "string" ? body : JSON.stringify(body) }).then((r) => r.status);
    const get = (path: string, headers: Record<string, string> = auth) => fetch(`${base}${path}`, { headers }).then((r) => r.status);
    const INJECT = "\nannounce route 0.0.0.0/0 next-hop self";
    const cases: [string, Promise<number | string>, number][] = [
      ["newline in the name", put(encodeURIComponent(`web${INJECT}`), { vip: "10.0.0.1/32" }), 400],
      ["control characters in the name", put("web%07%1b%00", { vip: "10.0.0.1/32" }), 400],
      ["a name of 65 characters", put("x".repeat(65), { vip: "10.0.0.1/32" }), 400],
      ["a command after the prefix", put("web", { vip: `10.0.0.1/32${INJECT}` }), 400],
      ["next-hop after the prefix", put("web", { vip: "10.0.0.1/32 next-hop 1.2.3.4" }), 400],
      ["a command in vips", put("web", { vips: ["10.0.0.1/32", `10.0.0.2/32\r\nwithdraw route 10.255.255.1/32 next-hop self`] }), 400],
      ["a command in a community", put("web", { vip: "10.0.0.1/32", communities: [`65000:1${INJECT}`] }), 400],
      ["a port that is not a port", put("web", { vip: "10.0.0.1/32", ports: ["443]\nannounce"] }), 400],
      ["a med that is text", put("web", { vip: "10.0.0.1/32", med: "10\nannounce route 0.0.0.0/0 next-hop self" }), 400],
      ["an unknown field", put("web", { vip: "10.0.0.1/32", next_hop: "1.2.3.4" }), 400],
      ["__proto__ in the body", put("web", '{"vip":"10.0.0.1/32","__proto__":{"med":1}}'), 400],
      ["an exec check (not allowed over HTTP)", put("web", { vip: "10.0.0.1/32", checks: [{ exec: ["/bin/sh", "-c", "touch /tmp/pwned"] }] }), 400],
      ["a body that is not JSON", put("web", "vip: 10.0.0.1/32"), 400],
      ["the body names another app", put("web", { name: "static", vip: "10.0.0.1/32" }), 400],
      ["no token", put("web", { vip: "10.0.0.1/32" }, {}), 401],
      ["a wrong token", put("web", { vip: "10.0.0.1/32" }, { Authorization: "Bearer wrong" }), 401],
      ["the token with a suffix", put("web", { vip: "10.0.0.1/32" }, { Authorization: `Bearer ${TOKEN}X` }), 401],
      ["the token in the query", get(`/v1/apps?token=${TOKEN}`, {}), 401],
      ["GoCast: newline in the name", get(`/register?name=${encodeURIComponent(`gc${INJECT}`)}&vip=10.0.0.3/32`), 400],
      ["GoCast: a command after the vip", get(`/register?name=gc&vip=${encodeURIComponent(`10.0.0.3/32${INJECT}`)}`), 400],
      ["GoCast: an exec monitor", get(`/register?name=gc&vip=10.0.0.3/32&monitor=${encodeURIComponent("exec:touch /tmp/pwned")}`), 400],
      ["GoCast: a community with a command", get(`/register?name=gc&vip=10.0.0.3/32&vip_communities=${encodeURIComponent(`65000:1${INJECT}`)}`), 400],
      ["GoCast: an unknown parameter", get("/register?name=gc&vip=10.0.0.3/32&next_hop=1.2.3.4"), 400],
      ["replacing a config app", put("static", { vip: "10.0.0.9/32" }), 409],
      ["a 10 MB body with its length", bigBody(`${base}/v1/apps/web`, 10 * 1024 * 1024, true), 413],
      ["a 10 MB body, chunked", bigBody(`${base}/v1/apps/web`, 10 * 1024 * 1024, false), 413],
    ];
    const got = await Promise.all(cases.map(([, p]) => p));
    expect(cases.map(([what], i) => `${what}: ${got[i]}`)).toEqual(cases.map(([what, , want]) => `${what}: ${want}`));

    // Bytes no client library sends: a raw newline in the request line, a header injection.
    const split = await rawSocket(host, port, `PUT /v1/apps/web\nannounce HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 2\r\n\r\n{}`);
    expect(split).toMatch(/^HTTP\/1\.1 400 /);
    const nul = await rawSocket(host, port, `GET /v1/apps/web\0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    expect(nul).toMatch(/^HTTP\/1\.1 400 /);

    // A valid request afterwards: its line is the only one since the mark.
    expect(await put("late", { vip: "10.255.255.9/32", ports: [443] })).toBe(201);
    await proc.waitLine(/^announce route 10\.255\.255\.9\/32 /, mark);
    expect(proc.lines.slice(mark)).toEqual(["announce route 10.255.255.9/32 next-hop 192.0.2.2 community [12345:443]"]);
    expect(proc.lines.every(isCommandLine)).toBe(true);
    expect(proc.unterminated).toBe("");
    expect(proc.lines[0]).toBe(STATIC);

    // The refusals are counted; the scrape still parses.
    const text = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    const samples = [...parsePrometheusText(text).families.values()].flatMap((f) => f.samples).filter((s) => s.name === "exacast_announcer_http_requests_total");
    const count = (code: string) => samples.filter((s) => s.labels.code === code).reduce((n, s) => n + s.value, 0);
    expect([count("400"), count("401"), count("409"), count("413")]).toEqual([19, 4, 1, 2]);
    expect(proc.stderr).not.toMatch(/http_internal_error/);
  });

  it("HTTP apps outlive a restart through state_file; SIGTERM withdraws everything first", async () => {
    onTestFailed(() => console.log(lab.report()));
    // Saved in the background after the PUT's answer.
    const saved = () => (JSON.parse(readFileSync(`${lab.dir}/apps.json`, "utf8")) as { apps: { name: string }[] }).apps.map((a) => a.name).join(",");
    await waitFor(() => saved() === "late", { what: "the state file", timeout: 3000 });
    const mark = proc.lines.length;
    proc.signal("SIGTERM");
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.lines.slice(mark).sort()).toEqual([
      "withdraw route 10.255.255.1/32 next-hop 192.0.2.2",
      "withdraw route 10.255.255.9/32 next-hop 192.0.2.2",
    ]);
    await start();
    await proc.waitLine(/^announce route 10\.255\.255\.9\/32 next-hop 192\.0\.2\.2 community \[12345:443\]$/);
    expect(proc.stderr).toMatch(/state_file_loaded .*apps=1/);
    expect(proc.lines.every(isCommandLine)).toBe(true);
  });
});
