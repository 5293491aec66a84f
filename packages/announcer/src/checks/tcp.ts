// tcp check: a connection is accepted within the timeout; it is closed at
// once (FIN, not RST: a backend's logs should not fill with resets).
//
// Thousands of checks a second are the design load, and for a check that only
// connects, net.Socket's stream machinery costs more than the connection:
// with 2,000 checks/s on loopback, a bare net.connect loop used 21% of a
// core, the same loop on the TCP handle 14% (test/bench/announcer-load). For
// IP literals the check therefore uses the handle net.Socket is built on
// (libuv's uv_tcp_t, through Node's tcp_wrap binding, which
// process.binding() still allows): connect, wait for the completion, close.
// Where that binding is missing, changed or refused (Node's permission
// model), and for host names, the check uses net.connect with the same
// results; EXACAST_TCP_CHECK=net forces it. Both paths are tested.

import { connect, isIP } from "node:net";
import { constants as os } from "node:os";
import type { HostPort } from "@exacast/core";
import { hostPortSchema } from "@exacast/core";
import type { CheckKind, CheckResult } from "./types.js";
import { hostPortText } from "./types.js";

export interface TcpSpec {
  readonly kind: "tcp";
  readonly target: HostPort;
}

interface TcpHandle {
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  close(cb?: () => void): void;
}
interface ConnectReq {
  oncomplete: (status: number) => void;
}
interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number };
}

function loadTcpWrap(): TcpWrap | null {
  if (process.env.EXACAST_TCP_CHECK === "net") return null;
  try {
    const b = (process as unknown as { binding(name: string): Partial<TcpWrap> }).binding("tcp_wrap");
    if (typeof b.TCP !== "function" || typeof b.TCPConnectWrap !== "function" || typeof b.constants?.SOCKET !== "number") return null;
    const probe = new b.TCP(b.constants.SOCKET);
    const shaped = ["connect", "connect6", "close"].every((m) => typeof (probe as unknown as Record<string, unknown>)[m] === "function");
    probe.close();
    return shaped ? (b as TcpWrap) : null;
  } catch {
    return null;
  }
}

const tcpWrap = loadTcpWrap();
/** Which implementation runs checks of IP literals (for logs and tests). */
export const tcpCheckPath: "handle" | "net" = tcpWrap ? "handle" : "net";

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.errno).map(([k, v]) => [-v, k]));

function reasonOf(code: string | undefined, message?: string): string {
  if (code === "ECONNREFUSED") return "connection refused";
  return message ? `${code ?? "error"}: ${message}` : (code ?? "error");
}

export function tcpCheck(target: HostPort, timeoutMs: number, forceNet = false): Promise<CheckResult> {
  const family = isIP(target.host);
  if (tcpWrap && family !== 0 && !forceNet) return handleCheck(tcpWrap, target, family, timeoutMs);
  return socketCheck(target, timeoutMs);
}

function handleCheck(b: TcpWrap, target: HostPort, family: number, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    const handle = new b.TCP(b.constants.SOCKET);
    const req = new b.TCPConnectWrap();
    let done = false;
    const finish = (ok: boolean, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      handle.close();
      resolve({ kind: "tcp", ok, reason, latencyMs: performance.now() - start });
    };
    req.oncomplete = (status) => (status === 0 ? finish(true, "connected") : finish(false, reasonOf(ERRNO_NAMES.get(status) ?? `errno ${status}`)));
    const timer = setTimeout(() => finish(false, `no connection within ${timeoutMs}ms`), timeoutMs);
    const rc = family === 6 ? handle.connect6(req, target.host, target.port) : handle.connect(req, target.host, target.port);
    if (rc !== 0) finish(false, reasonOf(ERRNO_NAMES.get(rc) ?? `errno ${rc}`));
  });
}

function socketCheck(target: HostPort, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const socket = connect({ host: target.host, port: target.port });
    const finish = (ok: boolean, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ kind: "tcp", ok, reason, latencyMs: performance.now() - start });
    };
    const timer = setTimeout(() => finish(false, `no connection within ${timeoutMs}ms`), timeoutMs);
    socket.once("connect", () => finish(true, "connected"));
    socket.once("error", (e: NodeJS.ErrnoException) => finish(false, reasonOf(e.code, e.code === "ECONNREFUSED" ? undefined : e.message)));
  });
}

export const tcp: CheckKind<TcpSpec> = {
  kind: "tcp",
  schema: hostPortSchema.transform((target): TcpSpec => ({ kind: "tcp", target })),
  run: (spec, ctx) => tcpCheck(spec.target, ctx.timeoutMs),
  describe: (spec) => `tcp ${hostPortText(spec.target)}`,
};
