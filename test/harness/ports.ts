import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A TCP port free on `host` right now (the kernel picks it). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port free on every one of `hosts`, chosen below the kernel's ephemeral
 * range: freePort()'s ports come from that range, where any outgoing
 * connection (a CLI polling an API) may take one as its source port before the
 * server binds it. For ports a server binds late (HAProxy on reload).
 */
export async function quietPort(hosts: string[]): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
  } catch {
    /* not Linux: keep the IANA default */
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomInt(10_000, Math.max(10_001, low));
    let ok = true;
    for (const h of hosts) if (!(ok = await bindable(port, h))) break;
    if (ok) return port;
  }
  throw new Error(`no port below ${low} free on ${hosts.join(", ")}`);
}
