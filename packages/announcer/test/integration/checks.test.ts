// The check adapters against real servers on 127.0.0.1.

import { execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import type { Socket as UdpSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAppChecks, runCheck } from "../../src/checks/index.js";
import { tcpCheck, tcpCheckPath } from "../../src/checks/tcp.js";
import type { CheckSpec } from "../../src/checks/index.js";

const HOST = "127.0.0.1";
const ctx = { timeoutMs: 1000, app: "web" };
const dir = mkdtempSync(`${tmpdir()}/exacast-checks-`);
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

function listen<S extends Server | HttpServer>(s: S): Promise<number> {
  return new Promise((resolve) => {
    s.listen(0, HOST, () => resolve((s.address() as AddressInfo).port));
    cleanups.push(() => new Promise((r) => s.close(r)));
  });
}

async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await new Promise<number>((r) => s.listen(0, HOST, () => r((s.address() as AddressInfo).port)));
  await new Promise((r) => s.close(r));
  return port;
}

describe("tcp", () => {
  let open: number;
  let closed: number;
  beforeAll(async () => {
    open = await listen(createServer((c) => c.destroy()));
    closed = await closedPort();
  });

  it("uses the TCP handle for IP literals on this Node", () => {
    expect(tcpCheckPath).toBe("handle");
  });

  for (const forceNet of [false, true]) {
    const path = forceNet ? "net.Socket" : "handle";
    it(`${path}: a listener passes, a closed port is refused`, async () => {
      const up = await tcpCheck({ host: HOST, port: open }, 1000, forceNet);
      expect(up).toMatchObject({ kind: "tcp", ok: true, reason: "connected" });
      expect(up.latencyMs).toBeGreaterThan(0);
      expect(up.latencyMs).toBeLessThan(1000);
      expect(await tcpCheck({ host: HOST, port: closed }, 1000, forceNet)).toMatchObject({ ok: false, reason: "connection refused" });
    });
  }

  it("IPv6 loopback and host names", async () => {
    const s6 = createServer((c) => c.destroy());
    const p6 = await new Promise<number>((r) => s6.listen(0, "::1", () => r((s6.address() as AddressInfo).port)));
    cleanups.push(() => new Promise((r) => s6.close(r)));
    expect(await runCheck({ kind: "tcp", target: { host: "::1", port: p6 } }, ctx)).toMatchObject({ ok: true });
    expect(await runCheck({ kind: "tcp", target: { host: "localhost", port: open } }, ctx)).toMatchObject({ ok: true });
  });

  it("a connection that is never accepted times out", async () => {
    // A listener with a full backlog drops SYNs: the connect hangs (python3: Debian's ExaBGP needs it anyway).
    const script = [
      "import socket, time",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
      "c = socket.socket(); c.connect(s.getsockname())",
      "print(s.getsockname()[1], flush=True)",
      "time.sleep(30)",
    ].join("\n");
    const py = spawn("python3", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
    cleanups.push(() => py.kill("SIGKILL"));
    const port = Number(
      await new Promise<string>((r) => {
        py.stdout!.once("data", (d: Buffer) => r(d.toString()));
        py.once("error", () => r("NaN"));
      }),
    );
    if (Number.isNaN(port)) {
      console.log("skipped: python3 is needed to hold a listener's backlog full");
      return;
    }
    const t = performance.now();
    for (const forceNet of [false, true]) {
      expect(await tcpCheck({ host: HOST, port }, 300, forceNet)).toMatchObject({ ok: false, reason: "no connection within 300ms" });
    }
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe("udp", () => {
  let echo: number;
  let silent: number;
  beforeAll(async () => {
    const bind = (onMsg: (s: UdpSocket, m: Buffer, r: { address: string; port: number }) => void) =>
      new Promise<number>((resolve) => {
        const s = createSocket("udp4");
        s.on("message", (m, r) => onMsg(s, m, r));
        s.bind(0, HOST, () => resolve(s.address().port));
        cleanups.push(() => s.close());
      });
    echo = await bind((s, m, r) => s.send(Buffer.concat([Buffer.from("re:"), m]), r.port, r.address));
    silent = await bind(() => {});
  });

  it("a reply passes; with expect it must contain the bytes", async () => {
    expect(await runCheck({ kind: "udp", target: { host: HOST, port: echo }, send: "7069", expect: null }, ctx)).toMatchObject({ ok: true });
    expect(await runCheck({ kind: "udp", target: { host: HOST, port: echo }, send: "7069", expect: "7069" }, ctx)).toMatchObject({ ok: true });
    const bad = await runCheck({ kind: "udp", target: { host: HOST, port: echo }, send: "7069", expect: "ffff" }, ctx);
    expect(bad).toMatchObject({ ok: false });
    expect(bad.reason).toMatch(/^reply does not contain ffff/);
  });

  it("an ICMP port unreachable fails at once, silence fails at the timeout", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createSocket("udp4");
      s.bind(0, HOST, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const refused = await runCheck({ kind: "udp", target: { host: HOST, port }, send: "00", expect: null }, ctx);
    expect(refused).toMatchObject({ ok: false, reason: "port unreachable (ICMP)" });
    expect(refused.latencyMs).toBeLessThan(500);
    expect(await runCheck({ kind: "udp", target: { host: HOST, port: silent }, send: "00", expect: null }, { ...ctx, timeoutMs: 200 })).toMatchObject({
      ok: false,
      reason: "no reply within 200ms",
    });
  });
});

describe("http", () => {
  let base: string;
  beforeAll(async () => {
    const port = await listen(
      createHttpServer((req, res) => {
        if (req.url === "/ok") res.end("all ok here");
        else if (req.url === "/fail") res.writeHead(503).end("down");
        else if (req.url === "/moved") res.writeHead(302, { location: "/ok" }).end();
        else if (req.url === "/loop") res.writeHead(302, { location: "/loop" }).end();
        else if (req.url === "/nocontent") res.writeHead(204).end();
        else if (req.url === "/big") res.end("x".repeat(200_000) + "needle");
        else if (req.url === "/slow") setTimeout(() => res.end("late"), 2000);
        else res.writeHead(404).end();
      }),
    );
    base = `http://${HOST}:${port}`;
  });

  type HttpSpec = Extract<CheckSpec, { kind: "http" }>;
  const http = (path: string, over: Partial<HttpSpec> = {}): HttpSpec => ({
    kind: "http",
    url: base + path,
    status: null,
    contains: null,
    followRedirects: false,
    insecure: false,
    ...over,
  });

  it("status: any 2xx by default, or the listed ones", async () => {
    expect(await runCheck(http("/ok"), ctx)).toMatchObject({ ok: true, reason: "status 200" });
    expect(await runCheck(http("/nocontent"), ctx)).toMatchObject({ ok: true });
    expect(await runCheck(http("/fail"), ctx)).toMatchObject({ ok: false, reason: "status 503, expected 2xx" });
    expect(await runCheck(http("/fail", { status: [503] }), ctx)).toMatchObject({ ok: true });
    expect(await runCheck(http("/ok", { status: [204] }), ctx)).toMatchObject({ ok: false, reason: "status 200, expected 204" });
  });

  it("contains: searched in the body's first 64 KiB", async () => {
    expect(await runCheck(http("/ok", { contains: "ok" }), ctx)).toMatchObject({ ok: true });
    expect(await runCheck(http("/ok", { contains: "nope" }), ctx)).toMatchObject({ ok: false, reason: 'status 200 but the body does not contain "nope"' });
    expect(await runCheck(http("/big", { contains: "needle" }), ctx)).toMatchObject({ ok: false });
  });

  it("redirects are not followed unless asked", async () => {
    expect(await runCheck(http("/moved"), ctx)).toMatchObject({ ok: false, reason: "status 302, expected 2xx" });
    expect(await runCheck(http("/moved", { followRedirects: true, contains: "all ok" }), ctx)).toMatchObject({ ok: true });
    expect(await runCheck(http("/loop", { followRedirects: true }), ctx)).toMatchObject({ ok: false, reason: "more than 5 redirects" });
  });

  it("a slow answer times out; a closed port is refused", async () => {
    const t = performance.now();
    expect(await runCheck(http("/slow"), { ...ctx, timeoutMs: 200 })).toMatchObject({ ok: false, reason: "no answer within 200ms" });
    expect(performance.now() - t).toBeLessThan(1000);
    const port = await closedPort();
    expect(await runCheck({ ...http(""), url: `http://${HOST}:${port}/` }, ctx)).toMatchObject({ ok: false, reason: "connection refused" });
  });

  it("https: the certificate is verified unless insecure", async () => {
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`, "-days", "1", "-subj", "/CN=localhost"], {
        stdio: "ignore",
      });
    } catch {
      console.log("skipped: openssl is not available to make a test certificate");
      return;
    }
    const port = await listen(createHttpsServer({ key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) }, (_q, r) => r.end("secure ok")));
    const spec = { ...http(""), url: `https://${HOST}:${port}/` };
    const strict = await runCheck(spec, ctx);
    expect(strict.ok).toBe(false);
    expect(strict.reason).toMatch(/SELF_SIGNED|self.signed/i);
    expect(await runCheck({ ...spec, insecure: true, contains: "secure" }, ctx)).toMatchObject({ ok: true });
  });
});

describe("exec", () => {
  const exec = (command: string[] | string, shell = false): CheckSpec => ({ kind: "exec", command, shell });

  it("exit 0 passes; otherwise the code and the first line of output", async () => {
    expect(await runCheck(exec(["/bin/true"]), ctx)).toMatchObject({ ok: true, reason: "exit 0" });
    expect(await runCheck(exec(["/bin/sh", "-c", "echo 'backend is sad' >&2; exit 3"]), ctx)).toMatchObject({ ok: false, reason: "exit 3: backend is sad" });
    expect((await runCheck(exec(["/nonexistent/check"]), ctx)).ok).toBe(false);
  });

  it("no shell unless asked: metacharacters are plain arguments", async () => {
    const marker = `${dir}/injected`;
    expect(await runCheck(exec(["/bin/echo", `; touch ${marker}`]), ctx)).toMatchObject({ ok: true });
    expect(existsSync(marker)).toBe(false);
    expect(await runCheck(exec(`test "$EXACAST_APP" = web && touch ${marker}`, true), ctx)).toMatchObject({ ok: true });
    expect(existsSync(marker)).toBe(true);
  });

  it("a timeout fails the check at once (the runner kills the whole group: runtime's process tests)", async () => {
    const t = performance.now();
    const r = await runCheck(exec(["/bin/sh", "-c", "sleep 30 & wait"]), { ...ctx, timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, reason: "timed out after 300ms; process group killed" });
    expect(performance.now() - t).toBeLessThan(1500);
  });

  it("a background child holding stdout does not hold the result", async () => {
    const pidfile = `${dir}/background.pid`;
    const t = performance.now();
    expect(await runCheck(exec(["/bin/sh", "-c", `sleep 5 & echo $! > ${pidfile}; exit 0`]), ctx)).toMatchObject({ ok: true });
    expect(performance.now() - t).toBeLessThan(900);
    process.kill(Number(readFileSync(pidfile, "utf8")), "SIGKILL");
  });
});

describe("file_absent and an app's checks together", () => {
  it("absent passes; present is maintenance and the other checks are not run", async () => {
    const flag = `${dir}/web.disabled`;
    const marker = `${dir}/ran`;
    const checks: CheckSpec[] = [
      { kind: "exec", command: ["/bin/sh", "-c", `touch ${marker}`], shell: false },
      { kind: "file_absent", path: flag },
    ];
    const a = await runAppChecks(checks, ctx);
    expect(a).toMatchObject({ pass: true, disabled: false, reason: "ok" });
    expect(a.results.map((r) => r?.ok)).toEqual([true, true]);
    rmSync(marker);
    writeFileSync(flag, "");
    const b = await runAppChecks(checks, ctx);
    expect(b).toMatchObject({ pass: false, disabled: true, reason: `maintenance: ${flag} exists` });
    expect(b.results[0]).toBeNull();
    expect(existsSync(marker)).toBe(false);
  });

  it("all must pass; the first failure is the reason", async () => {
    const port = await closedPort();
    const r = await runAppChecks(
      [
        { kind: "exec", command: ["/bin/true"], shell: false },
        { kind: "tcp", target: { host: HOST, port } },
      ],
      ctx,
    );
    expect(r).toMatchObject({ pass: false, disabled: false, reason: "tcp: connection refused" });
    expect(await runAppChecks([], ctx)).toMatchObject({ pass: true, reason: "ok" });
  });
});

describe("listening (GoCast's port:tcp/udp)", () => {
  /** A port nothing on this host uses, on any address: the kernel's pick for a dual-stack [::]:0. */
  async function freeEverywhere(): Promise<number> {
    const s = createServer();
    const port = await new Promise<number>((r) => s.listen(0, "::", () => r((s.address() as AddressInfo).port)));
    await new Promise((r) => s.close(r));
    return port;
  }
  const run = (protocol: "tcp" | "udp", port: number) => runCheck({ kind: "listening", protocol, port }, ctx);

  it("a TCP service bound only to one host address is up (a connect to 127.0.0.1 is refused), and down once closed", async () => {
    const port = await freeEverywhere();
    expect(await run("tcp", port)).toMatchObject({ ok: false, reason: `nothing listens on tcp port ${port}` });
    const s = createServer((c) => c.destroy());
    await new Promise<void>((r) => s.listen(port, "127.0.0.2", r));
    const up = await run("tcp", port);
    expect(up).toMatchObject({ kind: "listening", ok: true, reason: `tcp port ${port} in use (/proc/net/tcp)` });
    expect(up.latencyMs).toBeLessThan(200);
    expect(await tcpCheck({ host: "127.0.0.1", port }, 1000)).toMatchObject({ ok: false, reason: "connection refused" });
    await new Promise((r) => s.close(r));
    expect((await run("tcp", port)).ok).toBe(false);
  });

  it("an IPv6 listener counts; a UDP socket bound to the port counts for udp, not for tcp", async () => {
    const port = await freeEverywhere();
    const s6 = createServer();
    await new Promise<void>((r) => s6.listen(port, "::1", r));
    expect(await run("tcp", port)).toMatchObject({ ok: true, reason: `tcp port ${port} in use (/proc/net/tcp6)` });
    await new Promise((r) => s6.close(r));
    const u = createSocket("udp4");
    await new Promise<void>((r) => u.bind(port, "127.0.0.3", r));
    expect(await run("udp", port)).toMatchObject({ ok: true, reason: `udp port ${port} in use (/proc/net/udp)` });
    expect((await run("tcp", port)).ok).toBe(false);
    await new Promise<void>((r) => u.close(r));
    expect(await run("udp", port)).toMatchObject({ ok: false, reason: `no socket bound to udp port ${port}` });
  });
});
