// The `listening` check (GoCast's port:tcp:P / port:udp:P): the kernel's
// socket tables, as captured in a namespace (test/fixtures/README.md), read
// as "something listens on P on any address".

import { describe, expect, it } from "vitest";
import tcp from "../../../test/fixtures/proc-net/tcp.txt?raw";
import tcp6 from "../../../test/fixtures/proc-net/tcp6.txt?raw";
import udp from "../../../test/fixtures/proc-net/udp.txt?raw";
import udp6 from "../../../test/fixtures/proc-net/udp6.txt?raw";
import { describeCheck } from "../src/checks/index.js";
import { lineListens, portHexOf, tableListens, tablesOf } from "../src/checks/listening.js";
import { checkSchema } from "../src/check-schema.js";

const inUse = (protocol: "tcp" | "udp", port: number) =>
  protocol === "tcp" ? tableListens(tcp, "tcp", port) || tableListens(tcp6, "tcp", port) : tableListens(udp, "udp", port) || tableListens(udp6, "udp", port);

describe("listening check: the socket tables", () => {
  it("a TCP listener bound only to its VIP counts, as one on [::]", () => {
    expect(inUse("tcp", 8053)).toBe(true);
    expect(tableListens(tcp, "tcp", 8053)).toBe(true);
    expect(inUse("tcp", 9443)).toBe(true);
    expect(tableListens(tcp6, "tcp", 9443)).toBe(true);
  });

  it("a TCP connection's port is not a listener; a port nobody uses is free", () => {
    expect(inUse("tcp", 60298)).toBe(false);
    expect(inUse("tcp", 53)).toBe(false);
    expect(inUse("tcp", 1)).toBe(false);
  });

  it("a UDP socket bound to the port, on any address, counts; TCP and UDP ports are apart", () => {
    expect(inUse("udp", 53)).toBe(true);
    expect(inUse("udp", 5353)).toBe(true);
    expect(inUse("udp", 8053)).toBe(false);
    expect(tableListens(udp, "udp", 5353)).toBe(false);
  });

  it("the header line and malformed lines never match", () => {
    expect(tableListens("  sl  local_address rem_address   st\n", "tcp", 0x6c)).toBe(false);
    expect(lineListens("garbage", "tcp", portHexOf(53))).toBe(false);
    expect(lineListens("   0: 0100090A 00000000:0000 0A", "tcp", portHexOf(53))).toBe(false);
    expect(lineListens("   0: 0100090a:0035 00000000:0000 0a 0", "tcp", "0035")).toBe(true);
    expect(portHexOf(53)).toBe("0035");
    expect(portHexOf(65535)).toBe("FFFF");
    expect(tablesOf("udp")).toEqual(["/proc/net/udp", "/proc/net/udp6"]);
  });

  it("short and long forms parse; bad ones are named", () => {
    const ok = (v: unknown) => {
      const r = checkSchema.safeParse({ listening: v });
      return r.success ? describeCheck(r.data) : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    };
    expect(ok("tcp:53")).toBe("listening tcp:53 (any address)");
    expect(ok({ protocol: "udp", port: 5353 })).toBe("listening udp:5353 (any address)");
    expect(ok("sctp:53")).toBe('listening: expected tcp:<port> or udp:<port> (port 1..65535), got "sctp:53"');
    expect(ok("tcp:70000")).toMatch(/^listening: expected tcp:<port>/);
    expect(ok({ protocol: "tcp", port: 0 })).toBe("listening.port: expected a port number 1..65535");
    expect(ok({ protocol: "icmp", port: 1 })).toBe("listening.protocol: expected tcp or udp");
  });
});
