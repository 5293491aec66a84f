// Small network tools a test runs inside a network namespace it created
// (`ip netns exec NS node ns-tool.mjs …`), since the test process itself
// stays in the host's namespace:
//
//   fetch METHOD URL                 one HTTP request; prints {status, body} or {error} as JSON
//   echo HOST PORT                   TCP and UDP echo servers on HOST:PORT, each reply prefixed "echo:"; prints "ready"
//   probe tcp|udp HOST PORT TEXT     sends TEXT, prints the reply or "error: CODE" (bounded: 2 s)
//   bridge HOST PORT SOCKET          listens on HOST:PORT here, forwards each connection to the
//                                    unix socket SOCKET (a path: seen from every namespace); prints "ready"

import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";

const [cmd, ...args] = process.argv.slice(2);
const out = (v) => process.stdout.write(`${typeof v === "string" ? v : JSON.stringify(v)}\n`);

if (cmd === "fetch") {
  const [method, url, body] = args;
  try {
    const r = await fetch(url, { method, body, signal: AbortSignal.timeout(5000) });
    out({ status: r.status, body: await r.text() });
  } catch (e) {
    out({ error: String(e.cause?.code ?? e.message) });
  }
} else if (cmd === "echo") {
  const [host, port] = args;
  const tcp = createServer((c) => c.on("data", (d) => c.end(`echo:${d}`)));
  const udp = createSocket(host.includes(":") ? "udp6" : "udp4");
  udp.on("message", (m, from) => udp.send(`echo:${m}`, from.port, from.address));
  await new Promise((r) => tcp.listen(Number(port), host, r));
  await new Promise((r) => udp.bind(Number(port), host, r));
  out("ready");
} else if (cmd === "probe") {
  const [proto, host, port, text] = args;
  const timer = setTimeout(() => {
    out("error: ETIMEDOUT");
    process.exit(0);
  }, 2000);
  const done = (s) => {
    clearTimeout(timer);
    out(s);
    process.exit(0);
  };
  if (proto === "tcp") {
    const c = connect(Number(port), host, () => c.write(text));
    let got = "";
    c.on("data", (d) => (got += d));
    c.on("end", () => done(got));
    c.on("error", (e) => done(`error: ${e.code}`));
  } else {
    const s = createSocket(host.includes(":") ? "udp6" : "udp4");
    s.on("message", (m) => done(String(m)));
    s.on("error", (e) => done(`error: ${e.code}`));
    s.connect(Number(port), host, () => s.send(text));
  }
} else if (cmd === "bridge") {
  const [host, port, socket] = args;
  const server = createServer((c) => {
    const u = connect(socket);
    c.pipe(u).pipe(c);
    const close = () => (c.destroy(), u.destroy());
    c.on("error", close);
    u.on("error", close);
  });
  await new Promise((r) => server.listen(Number(port), host, r));
  out("ready");
} else {
  process.stderr.write(`ns-tool: unknown command ${cmd}\n`);
  process.exit(2);
}
