// The Debian package, for real on this machine: `npm run package`'s script
// builds exacast_<version>_all.deb, `dpkg -i` installs it, the packaged
// exabgp.conf snippets run /usr/bin/exacast-announcer and
// /usr/bin/exacast-listener under two ExaBGPs around a GoBGP route server
// (a VIP announced by one reaches the other's rendered file), `status` from
// /usr/bin reads them, and `dpkg --purge` leaves nothing behind. Needs root
// (or passwordless sudo); takes a machine-wide lock (system-package.ts).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
// @ts-expect-error -- plain JavaScript shared with the demo
import { adaptExabgpConfig } from "../../scripts/lib/exabgp-config.mjs";
import { freePort, Lab, quietPort, repoRoot, waitFor } from "../harness/index.js";
import { PACKAGE, packageStatus, releaseLock, rootPrefix, run, takeLock } from "./system-package.js";

const version = (JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8")) as { version: string }).version;
const DOC = "/usr/share/doc/exacast";
const root = await rootPrefix();
const lab = new Lab("package-deb");
let deb = "";
let locked = false;
let contents: string[] = [];

describe.skipIf(root === null)("the Debian package (needs root or sudo -n)", () => {
  const asRoot = (cmd: string[]) => run([...root!, ...cmd]);

  beforeAll(async () => {
    const problem = await takeLock(root!);
    if (problem) throw new Error(problem);
    locked = true;
    const built = await run([process.execPath, `${repoRoot}/scripts/package-deb.mjs`, "--out", lab.dir]);
    if (built.code !== 0) throw new Error(`package-deb.mjs failed: ${built.err}`);
    deb = `${lab.dir}/exacast_${version}_all.deb`;
    contents = (await run(["dpkg-deb", "-c", deb])).out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(l.indexOf("./") + 1).replace(/\/$/, ""));
  });

  afterAll(async () => {
    await lab.close();
    if (locked) {
      if ((await packageStatus()) !== null) await asRoot(["dpkg", "--purge", PACKAGE]);
      releaseLock();
    }
  });

  it("is built with the fields and files an operator expects, and no dev dependency", async () => {
    const info = (await run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends"])).out;
    expect(info).toBe(`Package: exacast\nVersion: ${version}\nArchitecture: all\nDepends: nodejs (>= 20), exabgp\n`);
    for (const f of [
      "/usr/bin/exacast-announcer",
      "/usr/bin/exacast-listener",
      "/usr/lib/exacast/node_modules/@exacast/announcer/package.json",
      "/usr/lib/exacast/node_modules/@exacast/listener/package.json",
      `${DOC}/examples/announcer.yaml`,
      `${DOC}/examples/haproxy.cfg.ejs`,
      `${DOC}/exabgp/announcer.conf`,
      `${DOC}/exabgp/listener.conf`,
      `${DOC}/exabgp/both.conf`,
      `${DOC}/copyright`,
      "/usr/share/man/man1/exacast-announcer.1.gz",
      "/usr/share/man/man1/exacast-listener.1.gz",
    ]) {
      expect(contents).toContain(f);
    }
    const modules = new Set(contents.map((f) => /^\/usr\/lib\/exacast\/node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
    for (const dev of ["vitest", "typescript", "fast-check", "@types/node", "vite", "@vitest/runner"]) expect(modules.has(dev), dev).toBe(false);
    expect(contents.filter((f) => /\/@exacast\/[^/]+\/(src|test)\//.test(f) || /\.(ts|map|tsbuildinfo)$/.test(f))).toEqual([]);
  });

  it("installs with dpkg -i, and its programs run from /usr/bin", async () => {
    // Slim images tell dpkg to leave out docs and man pages (path-exclude): the test needs them.
    const r = await asRoot(["dpkg", `--path-include=${DOC}/*`, "--path-include=/usr/share/man/man1/exacast-*", "-i", deb]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(await packageStatus()).toBe(`install ok installed ${version}`);
    expect((await asRoot(["dpkg", "--verify", PACKAGE])).out).toBe("");
    expect((await run(["/usr/bin/exacast-announcer", "--version"])).out).toBe(`exacast-announcer ${version}\n`);
    expect((await run(["/usr/bin/exacast-listener", "--version"])).out).toBe(`exacast-listener ${version}\n`);
    const check = await run(["/usr/bin/exacast-announcer", "check", "--config", `${DOC}/examples/announcer.yaml`]);
    // The same verdict as the checkout's own program gives the same example.
    const fromCheckout = await run([process.execPath, `${repoRoot}/packages/announcer/bin/exacast-announcer.js`, "check", "--config", `${repoRoot}/examples/announcer.yaml`]);
    expect(fromCheckout.out.split("\n")[0]).toMatch(/: valid, \d+ apps, \d+ VIPs$/);
    expect([check.code, check.out.split("\n")[0]]).toEqual([0, fromCheckout.out.split("\n")[0]!.replace(`${repoRoot}/examples/`, `${DOC}/examples/`)]);
    const render = await run(["/usr/bin/exacast-listener", "render", "--input", `${repoRoot}/test/fixtures/exabgp-4.2-route-server-session.ndjson`, "--template", `${DOC}/examples/seed.ejs`, "--until", "10"]);
    expect(render.code).toBe(0);
    expect(render.out).toContain("service_443\n  listen 127.0.0.1:443\n  backend 10.255.255.1:443\n");
    expect((await run(["man", "-w", "exacast-announcer"])).out).toBe("/usr/share/man/man1/exacast-announcer.1.gz\n");
    expect(readFileSync(`${DOC}/exabgp/announcer.conf`, "utf8")).toContain("run /usr/bin/exacast-announcer --config /etc/exacast/announcer.yaml;");
  });

  it("runs both programs from /usr/bin through ExaBGP, with the packaged exabgp.conf snippets", async () => {
    onTestFailed(() => console.log(lab.report()));
    expect(await packageStatus()).toBe(`install ok installed ${version}`);
    const SERVER = lab.addr(10);
    const LB = lab.addr(20);
    const rs = await lab.gobgp({ neighbors: [{ address: SERVER, peerAs: 65010 }, { address: LB, peerAs: 65020 }] });
    const appPort = await freePort(SERVER);
    const app = createServer((s) => s.end()).listen(appPort, SERVER);
    lab.onClose(() => new Promise((r) => app.close(() => r())));
    const [aHttp, lHttp] = [await quietPort([SERVER]), await quietPort([LB])];
    const announcerYaml = `${lab.dir}/announcer.yaml`;
    writeFileSync(
      announcerYaml,
      [
        "next_hop: 192.0.2.10",
        "interval: 500ms",
        "fast_interval: 100ms",
        "rise: 1",
        `http: { listen: "${SERVER}:${aHttp}", token: packaged }`,
        "apps:",
        `  - { name: web, vip: 10.77.0.1/32, ports: [${appPort}], checks: [{ tcp: "${SERVER}:${appPort}" }] }`,
      ].join("\n") + "\n",
    );
    const rendered = `${lab.dir}/rendered.txt`;
    const listenerYaml = `${lab.dir}/listener.yaml`;
    writeFileSync(listenerYaml, ["debounce: 50ms", `http: { listen: "${LB}:${lHttp}" }`, "templates:", `  - { source: ${DOC}/examples/seed.ejs, destination: ${rendered} }`].join("\n") + "\n");
    // The installed snippets as they are, but for this lab's addresses, ASNs and config files.
    const snippet = (file: string, address: string, localAs: number, program: string, yaml: string) => {
      const text = adaptExabgpConfig(readFileSync(`${DOC}/exabgp/${file}`, "utf8"), { neighbor: rs.address, address, localAs, peerAs: 64999, connect: rs.port, run: {} }) as string;
      const from = `run /usr/bin/${program} --config /etc/exacast/${program.replace("exacast-", "")}.yaml;`;
      expect(text).toContain(from);
      return text.replace(from, `run /usr/bin/${program} --config ${yaml};`);
    };
    lab.exabgp({ name: "server", address: SERVER, asn: 65010, neighbors: [], processes: [], configText: snippet("announcer.conf", SERVER, 65010, "exacast-announcer", announcerYaml) });
    lab.exabgp({ name: "lb", address: LB, asn: 65020, neighbors: [], processes: [], configText: snippet("listener.conf", LB, 65020, "exacast-listener", listenerYaml) });
    await Promise.all([rs.waitEstablished(SERVER), rs.waitEstablished(LB)]);
    await waitFor(() => existsSync(rendered) && readFileSync(rendered, "utf8").includes(`backend 10.77.0.1:${appPort}`), {
      what: "the server's VIP in the load balancer's rendered file",
      timeout: 30_000,
      interval: 100,
    });

    // What runs is the installed program, and its status command reads it.
    const a = await run(["/usr/bin/exacast-announcer", "status", "--config", announcerYaml, "--json"]);
    expect(a.code).toBe(0);
    const pid = (JSON.parse(a.out) as { pid: number }).pid;
    const target = /^exec node (\/usr\/lib\/exacast\/\S+) "\$@"$/m.exec(readFileSync("/usr/bin/exacast-announcer", "utf8"))?.[1];
    expect(target).toBeDefined();
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain(target);
    expect((await run(["/usr/bin/exacast-announcer", "status", "--config", announcerYaml])).out).toMatch(/^web +config +UP /m);
    const l = await run(["/usr/bin/exacast-listener", "status", "--config", listenerYaml]);
    expect(l.out).toMatch(new RegExp(`^${appPort} +1 +1 +10\\.77\\.0\\.1/32$`, "m"));
    await lab.close();
  });

  it("is removed by dpkg --purge, leaving nothing behind", async () => {
    const r = await asRoot(["dpkg", "--purge", PACKAGE]);
    expect(r.code).toBe(0);
    expect(await packageStatus()).toBeNull();
    const left = contents.filter((f) => /exacast/.test(f) && existsSync(f));
    expect(left).toEqual([]);
    expect(["/usr/lib/exacast", DOC, "/usr/bin/exacast-announcer", "/usr/bin/exacast-listener"].filter((f) => existsSync(f))).toEqual([]);
  });
});
