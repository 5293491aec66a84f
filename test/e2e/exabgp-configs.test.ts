// Every shipped exabgp/*.conf is loaded by real ExaBGP, so none can rot:
// `exabgp --test` on each (with this checkout's bins in the run lines), and
// both.conf started for real, its announcer and its listener at work.
// (announcer.conf and listener.conf run for real in the demo's test.)

import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
// @ts-expect-error -- plain JavaScript shared with the demo
import { adaptExabgpConfig } from "../../scripts/lib/exabgp-config.mjs";
import { Lab, bin, freePort, repoRoot, waitFor } from "../harness/index.js";

const exec = promisify(execFile);
const files = readdirSync(`${repoRoot}/exabgp`).filter((f) => f.endsWith(".conf"));
const lab = new Lab("configs");
afterAll(() => lab.close());

function adapt(file: string, o: { address: string; localAs: number; neighbor?: string; connect?: number; announcerYaml?: string; listenerYaml?: string }): string {
  const text = readFileSync(`${repoRoot}/exabgp/${file}`, "utf8");
  const run: Record<string, string> = {};
  if (text.includes("exacast-announcer")) run["exacast-announcer"] = `${bin("exacast-announcer").join(" ")} --config ${o.announcerYaml ?? "/etc/exacast/announcer.yaml"}`;
  if (text.includes("exacast-listener")) run["exacast-listener"] = `${bin("exacast-listener").join(" ")} --config ${o.listenerYaml ?? "/etc/exacast/listener.yaml"}`;
  return adaptExabgpConfig(text, { neighbor: o.neighbor ?? "192.0.2.1", address: o.address, localAs: o.localAs, peerAs: 64999, connect: o.connect, run });
}

describe("exabgp/*.conf", () => {
  it("there are the three roles", () => {
    expect(files.sort()).toEqual(["announcer.conf", "both.conf", "listener.conf"]);
  });

  it.each(files)("%s passes exabgp --test", async (file) => {
    const conf = `${lab.dir}/test-${file}`;
    writeFileSync(conf, adapt(file, { address: "192.0.2.10", localAs: 65010 }));
    const env = { ...process.env, "exabgp.daemon.user": process.getuid?.() === 0 ? "root" : (process.env.USER ?? "nobody"), "exabgp.api.cli": "false" };
    const r = await exec("exabgp", ["--test", conf], { env }).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    if (r.code !== 0) console.log(r.out);
    expect(r.code).toBe(0);
  });

  it("an unadapted keyword would be refused (the check has teeth)", async () => {
    const conf = `${lab.dir}/broken.conf`;
    writeFileSync(conf, adapt("announcer.conf", { address: "192.0.2.10", localAs: 65010 }).replace("peer-as 64999;", "peer-ass 64999;"));
    await expect(exec("exabgp", ["--test", conf], { env: { ...process.env, "exabgp.daemon.user": "root", "exabgp.api.cli": "false" } })).rejects.toMatchObject({ code: 1 });
  });

  it("both.conf runs an announcer and a listener on one session", async () => {
    onTestFailed(() => console.log(lab.report()));
    const HOST = lab.addr(30);
    const PEER = lab.addr(2);
    const rs = await lab.gobgp({ neighbors: [{ address: HOST, peerAs: 65030 }, { address: PEER, peerAs: 65000 }] });
    // The host's own app: a real TCP service.
    const appPort = await freePort(HOST);
    const app = createServer((s) => s.end()).listen(appPort, HOST);
    lab.onClose(() => new Promise((r) => app.close(() => r())));
    const announcerYaml = `${lab.dir}/both-announcer.yaml`;
    writeFileSync(
      announcerYaml,
      ["next_hop: 192.0.2.30", "interval: 500ms", "fast_interval: 100ms", "rise: 1", "fall: 1", "apps:", `  - { name: app, vip: 10.30.0.1/32, ports: [${appPort}], checks: [{ tcp: "${HOST}:${appPort}" }] }`].join("\n") + "\n",
    );
    const out = `${lab.dir}/both-rendered.txt`;
    const listenerYaml = `${lab.dir}/both-listener.yaml`;
    writeFileSync(listenerYaml, ["debounce: 50ms", "templates:", `  - { source: ${repoRoot}/examples/seed.ejs, destination: ${out} }`].join("\n") + "\n");
    lab.exabgp({
      name: "both",
      address: HOST,
      asn: 65030,
      neighbors: [],
      processes: [],
      configText: adapt("both.conf", { address: HOST, localAs: 65030, neighbor: rs.address, connect: rs.port, announcerYaml, listenerYaml }),
    });
    const cmd = await lab.commander("peer");
    lab.exabgp({
      name: "peer",
      address: PEER,
      asn: 65000,
      neighbors: [{ address: rs.address, peerAs: 64999, connect: rs.port }],
      processes: [{ name: "cmd", run: cmd.run, encoder: "text" }],
    });
    await Promise.all([rs.waitEstablished(HOST), rs.waitEstablished(PEER)]);
    // The announcer: the host's VIP reaches the route server with its port's community.
    await waitFor(async () => (await rs.adjIn(HOST)).find((r) => r.prefix === "10.30.0.1/32" && r.communities.includes(`12345:${appPort}`)), {
      what: "both.conf's announcer announcing",
      timeout: 20_000,
    });
    // The listener: another server's service lands in the rendered file.
    await cmd.command("announce route 10.255.255.1/32 next-hop 192.0.2.2 community [12345:443]");
    await waitFor(() => {
      try {
        return readFileSync(out, "utf8").includes("backend 10.255.255.1:443");
      } catch {
        return false;
      }
    }, { what: "both.conf's listener rendering", timeout: 20_000 });
  });
});
