// Every file under examples/ is exercised: each template is rendered from a
// real ExaBGP capture and validated by the program it feeds; each config is
// loaded by the program that reads it.

import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseListenerConfig } from "../../packages/listener/src/config.js";
import { bin, repoRoot } from "../harness/index.js";

const exec = promisify(execFile);
const dir = mkdtempSync(`${tmpdir()}/exacast-examples-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CAPTURE = `${repoRoot}/test/fixtures/exabgp-4.2-route-server-session.ndjson`;
const ex = (f: string) => `${repoRoot}/examples/${f}`;

async function render(template: string, vars: Record<string, string> = {}, capture = CAPTURE, until = "8"): Promise<string> {
  const args = ["render", "--input", capture, "--until", until, "--template", ex(template), ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}=${v}`])];
  const { stdout } = await exec(bin("exacast-listener")[0]!, [bin("exacast-listener")[1]!, ...args]);
  return stdout;
}

async function runs(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return exec(cmd, args).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

/** A capture where 10.255.255.3/32 is draining (65535:0) on 8080. */
function drainingCapture(): string {
  const lines = readFileSync(CAPTURE, "utf8").split("\n").slice(0, 8);
  lines[6] = lines[6]!.replace("[ [ 12345, 8080 ] ]", "[ [ 12345, 8080 ], [ 65535, 0 ] ]");
  const f = `${dir}/draining.ndjson`;
  writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

const exercised = new Set<string>();

describe("examples/ templates, validated by the programs they feed", () => {
  it("haproxy.cfg.ejs: haproxy -c accepts it, with and without vars, draining as weight 0", async () => {
    exercised.add("haproxy.cfg.ejs");
    const variants: Record<string, string>[] = [{}, { bind: "127.0.0.1", stats: "127.0.0.1:18404", maxconn: "1000", extra: "nbthread 2" }];
    for (const vars of variants) {
      const text = await render("haproxy.cfg.ejs", vars);
      const f = `${dir}/haproxy-${Object.keys(vars).length}.cfg`;
      writeFileSync(f, text);
      const r = await runs("haproxy", ["-c", "-q", "-f", f]);
      expect(r.out).toBe("");
      expect(r.code).toBe(0);
      expect(text).toContain("server 2001:db8::123 [2001:db8::123]:443 check");
    }
    const drained = await render("haproxy.cfg.ejs", {}, drainingCapture(), "8");
    expect(drained).toContain("server 10.255.255.3 10.255.255.3:8080 check weight 0");
    expect(drained).toContain("server 10.255.255.4 10.255.255.4:8080 check\n");
  });

  it("nginx-stream.conf.ejs: nginx -t accepts it inside a stream block, draining as down", async () => {
    exercised.add("nginx-stream.conf.ejs");
    for (const [name, capture, vars] of [
      ["plain", CAPTURE, {}],
      ["bound", drainingCapture(), { bind: "127.0.0.1" }],
    ] as const) {
      const rendered = `${dir}/stream-${name}.conf`;
      writeFileSync(rendered, await render("nginx-stream.conf.ejs", vars, capture));
      const main = `${dir}/nginx-${name}.conf`;
      writeFileSync(
        main,
        [
          "load_module /usr/lib/nginx/modules/ngx_stream_module.so;",
          `pid ${dir}/nginx-${name}.pid;`,
          `error_log ${dir}/nginx-${name}.err;`,
          "events {}",
          `stream { include ${rendered}; }`,
        ].join("\n") + "\n",
      );
      const r = await runs("nginx", ["-t", "-q", "-p", dir, "-c", main]);
      if (r.code !== 0) console.log(r.out, readFileSync(rendered, "utf8"));
      expect(r.code).toBe(0);
    }
    const bound = readFileSync(`${dir}/stream-bound.conf`, "utf8");
    expect(bound).toContain("listen 127.0.0.1:8080;");
    expect(bound).toContain("server 10.255.255.3:8080 down;");
    expect(bound).toContain("server [2001:db8::123]:443;");
  });

  it("services.json.ejs: python3 -m json.tool accepts it; it holds the services map", async () => {
    exercised.add("services.json.ejs");
    const text = await render("services.json.ejs");
    const f = `${dir}/services.json`;
    writeFileSync(f, text);
    expect((await runs("python3", ["-m", "json.tool", f])).code).toBe(0);
    const json = JSON.parse(text) as { services: Record<string, string[]>; backends: Record<string, { prefix: string; med: number | null }[]> };
    expect(json.services).toEqual({
      80: ["10.255.255.1/32"],
      443: ["10.255.255.1/32", "10.255.255.2/32", "2001:db8::123/128"],
      8080: ["10.255.255.3/32", "10.255.255.4/32"],
    });
    expect(json.backends[443]![1]).toMatchObject({ prefix: "10.255.255.2/32", med: 100 });
  });

  it("seed.ejs: the contract's text, exactly", async () => {
    exercised.add("seed.ejs");
    const lines = readFileSync(CAPTURE, "utf8").split("\n").slice(0, 2);
    const ann = (prefix: string, nh: string, fam: string, comm: string) =>
      lines[1]!.replace('"type": "state"', '"type": "update"').replace(
        / , "state": "up" \} \}$/,
        ` , "direction": "receive", "message": { "update": { "attribute": { "community": ${comm} }, "announce": { "${fam}": { "${nh}": [ { "nlri": "${prefix}" } ] } } } } } }`,
      );
    const f = `${dir}/seed.ndjson`;
    writeFileSync(
      f,
      [
        lines[0],
        lines[1],
        ann("2001:802::123/128", "2001:db8::2", "ipv6 unicast", "[ [ 12345, 443 ] ]"),
        ann("1.1.1.1/32", "192.0.2.2", "ipv4 unicast", "[ [ 12345, 443 ], [ 12345, 8080 ] ]"),
      ].join("\n") + "\n",
    );
    expect(await render("seed.ejs", {}, f, "4")).toBe(
      "service_443\n  listen 127.0.0.1:443\n  backend 1.1.1.1:443\n  backend 2001:802::123:443\n\nservice_8080\n  listen 127.0.0.1:8080\n  backend 1.1.1.1:8080\n\n",
    );
  });
});

describe("examples/ configs, loaded by the programs that read them", () => {
  it("listener.yaml: a valid listener config with check, reload and backup", () => {
    exercised.add("listener.yaml");
    const r = parseListenerConfig(readFileSync(ex("listener.yaml"), "utf8"), "listener.yaml", `${repoRoot}/examples`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.templates[0]).toMatchObject({ check: expect.stringContaining("haproxy -c"), reload: expect.any(String), backup: true, source: ex("haproxy.cfg.ejs") });
  });

  it.each(readdirSync(`${repoRoot}/examples`).filter((f) => /^announcer.*\.yaml$/.test(f)))("%s: exacast-announcer check accepts it", async (f) => {
    exercised.add(f);
    const r = await runs(bin("exacast-announcer")[0]!, [bin("exacast-announcer")[1]!, "check", "--config", ex(f)]);
    if (r.code !== 0) console.log(r.out);
    expect(r.code).toBe(0);
  });

  it("every file under examples/ is exercised above", () => {
    expect(readdirSync(`${repoRoot}/examples`).filter((f) => !exercised.has(f))).toEqual([]);
  });
});
