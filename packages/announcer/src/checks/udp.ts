// udp check: send a datagram on a connected socket and wait for a reply. The
// socket is connected so that an ICMP port-unreachable comes back as
// ECONNREFUSED (a fail at once) instead of silence until the timeout.

import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { HostPort } from "@exacast/core";
import { hostPortSchema, parseHostPort } from "@exacast/core";
import { z } from "zod";
import type { CheckKind, CheckResult } from "./types.js";
import { hostPortText, oneLine } from "./types.js";

export interface UdpSpec {
  readonly kind: "udp";
  readonly target: HostPort;
  /** Bytes to send, hex. */
  readonly send: string;
  /** Bytes the reply must contain, hex; null: any reply passes. */
  readonly expect: string | null;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const hexSchema = z
  .string()
  .max(2 * 65507, "at most 65507 bytes (one UDP datagram)")
  .regex(HEX, "expected hex bytes, e.g. 0a1b2c (an even number of 0-9 a-f)")
  .transform((s) => s.toLowerCase());

const udpObject = z.strictObject({
  address: hostPortSchema,
  send: hexSchema.optional(),
  expect: hexSchema.refine((s) => s.length > 0, "expected at least one byte; leave expect out to accept any reply").optional(),
});

// `udp: host:port` sends an empty datagram and takes any reply.
const udpShort = z.string().transform((s, ctx) => {
  const hp = parseHostPort(s);
  if (!hp.ok) {
    ctx.addIssue({ code: "custom", message: hp.error });
    return z.NEVER;
  }
  return { address: hp.value };
});

export const udp: CheckKind<UdpSpec> = {
  kind: "udp",
  schema: z
    .union([udpShort, udpObject])
    .transform((u): UdpSpec => ({ kind: "udp", target: u.address, send: ("send" in u ? u.send : undefined) ?? "", expect: ("expect" in u ? u.expect : undefined) ?? null })),
  run: (spec, ctx) => udpCheck(spec.target, spec.send, spec.expect, ctx.timeoutMs),
  describe: (spec) => `udp ${hostPortText(spec.target)}${spec.expect !== null ? ` expect ${spec.expect}` : ""}`,
};

export async function udpCheck(target: HostPort, sendHex: string, expectHex: string | null, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  const result = (ok: boolean, reason: string): CheckResult => ({ kind: "udp", ok, reason, latencyMs: performance.now() - start });
  let address = target.host;
  let family = isIP(address);
  if (family === 0) {
    try {
      const r = await lookup(address);
      address = r.address;
      family = r.family;
    } catch (e) {
      return result(false, `cannot resolve ${target.host}: ${(e as Error).message}`);
    }
  }
  const payload = Buffer.from(sendHex, "hex");
  const expect = expectHex === null ? null : Buffer.from(expectHex, "hex");
  return new Promise((resolve) => {
    const socket = createSocket(family === 6 ? "udp6" : "udp4");
    let done = false;
    const finish = (ok: boolean, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        /* already closed */
      }
      resolve(result(ok, reason));
    };
    const timer = setTimeout(() => finish(false, `no reply within ${timeoutMs}ms`), timeoutMs);
    socket.on("error", (e: NodeJS.ErrnoException) =>
      finish(false, e.code === "ECONNREFUSED" ? "port unreachable (ICMP)" : `${e.code ?? "error"}: ${e.message}`),
    );
    socket.on("message", (msg) => {
      if (expect === null || msg.includes(expect)) finish(true, `reply of ${msg.length} bytes`);
      else finish(false, `reply does not contain ${expectHex}: ${oneLine(msg.subarray(0, 32).toString("hex"))}`);
    });
    socket.connect(target.port, address, () => {
      socket.send(payload, (e) => {
        if (e) finish(false, `send: ${e.message}`);
      });
    });
  });
}
