// listening check: something on this host listens on the port, on any
// address. GoCast's `port:tcp:P` / `port:udp:P` monitors mean this: GoCast
// tries to bind `:P` itself and counts a refusal as "up", so a service bound
// only to its VIP or to the host's address is healthy there, where a connect
// to 127.0.0.1:P (exacast's `tcp:` check) is refused.
//
// Binding the port to find out has two flaws: for the instant it is held, the
// real service cannot start on it, and a bind refused for lack of privilege
// (port < 1024, not root) reads as "up". This check reads the kernel's socket
// tables instead (/proc/net/{tcp,tcp6,udp,udp6}, of this process's network
// namespace): a TCP socket in LISTEN state, or any UDP socket bound to the
// port (what makes GoCast's bind fail). Nothing is opened or held.
//
// The tables list one socket per line, `sl: LOCAL REMOTE ST …` with
// addresses as HEX:HEXPORT. A host with many connections has long tables, so
// the files are read in chunks and the read stops at the first match.

import { open } from "node:fs/promises";
import { portSchema } from "@exacast/core";
import { z } from "zod";
import type { CheckKind, CheckResult } from "./types.js";
import { resultFrom } from "./types.js";

export type ListenProtocol = "tcp" | "udp";

export interface ListeningSpec {
  readonly kind: "listening";
  readonly protocol: ListenProtocol;
  readonly port: number;
}

/** TCP_LISTEN in the tables' `st` column. */
const TCP_LISTEN = "0A";

/**
 * Does one line of a socket table hold a socket that counts as listening on
 * `port`? `portHex` is the port as the table writes it (4 upper-case hex digits).
 */
export function lineListens(line: string, protocol: ListenProtocol, portHex: string): boolean {
  // "  12: 0100007F:0035 00000000:0000 0A …": fields 1 (local) and 3 (state).
  const fields = line.trim().split(/\s+/, 4);
  if (fields.length < 4) return false;
  const local = fields[1]!;
  const colon = local.lastIndexOf(":");
  if (colon === -1 || local.slice(colon + 1).toUpperCase() !== portHex) return false;
  return protocol === "udp" || fields[3]!.toUpperCase() === TCP_LISTEN;
}

/** The whole text of a table → whether a socket in it listens on `port` (tests, and the chunked reader's rule). */
export function tableListens(text: string, protocol: ListenProtocol, port: number): boolean {
  const hex = portHexOf(port);
  return text.split("\n").some((l, i) => i > 0 && lineListens(l, protocol, hex));
}

export const portHexOf = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");

export const tablesOf = (protocol: ListenProtocol) => [`/proc/net/${protocol}`, `/proc/net/${protocol}6`];

const CHUNK = 64 * 1024;

/** Read `file` chunk by chunk until a line matches; false at the end. A missing file (no IPv6) is no match. */
async function fileListens(file: string, protocol: ListenProtocol, portHex: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  try {
    const buf = Buffer.alloc(CHUNK);
    let rest = "";
    let header = true;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return rest !== "" && !header && lineListens(rest, protocol, portHex);
      const lines = (rest + buf.toString("latin1", 0, bytesRead)).split("\n");
      rest = lines.pop()!;
      for (const l of lines) {
        if (header) {
          header = false;
          continue;
        }
        if (lineListens(l, protocol, portHex)) return true;
      }
    }
  } finally {
    await fh.close();
  }
}

export async function listeningCheck(spec: ListeningSpec): Promise<CheckResult> {
  const result = resultFrom("listening", performance.now());
  const hex = portHexOf(spec.port);
  try {
    for (const file of tablesOf(spec.protocol)) {
      if (await fileListens(file, spec.protocol, hex)) return result(true, `${spec.protocol} port ${spec.port} in use (${file})`);
    }
  } catch (e) {
    return result(false, `cannot read the socket table: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return result(false, spec.protocol === "tcp" ? `nothing listens on tcp port ${spec.port}` : `no socket bound to udp port ${spec.port}`);
}

const protocolSchema = z.enum(["tcp", "udp"], { error: "expected tcp or udp" });

// `listening: tcp:53` or `listening: { protocol: tcp, port: 53 }`.
const listeningShort = z.string().transform((s, ctx): { protocol: ListenProtocol; port: number } => {
  const m = /^(tcp|udp):(\d{1,5})$/.exec(s);
  const port = m ? portSchema.safeParse(Number(m[2])) : null;
  if (!m || !port?.success) {
    ctx.addIssue({ code: "custom", message: `expected tcp:<port> or udp:<port> (port 1..65535), got ${JSON.stringify(s.slice(0, 40))}` });
    return z.NEVER;
  }
  return { protocol: m[1] as ListenProtocol, port: port.data };
});

const listeningObject = z.strictObject({ protocol: protocolSchema, port: portSchema });

export const listening: CheckKind<ListeningSpec> = {
  kind: "listening",
  schema: z.union([listeningShort, listeningObject]).transform((v): ListeningSpec => ({ kind: "listening", protocol: v.protocol, port: v.port })),
  run: (spec) => listeningCheck(spec),
  describe: (spec) => `listening ${spec.protocol}:${spec.port} (any address)`,
};
