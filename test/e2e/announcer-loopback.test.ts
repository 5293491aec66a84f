// manage_loopback in network namespaces this test creates: the announcer runs
// inside one (ip netns exec), the test plays ExaBGP on its stdio, and the
// namespace's `lo` is read with `ip -n`. Nothing on the host's interfaces
// changes. `announced` (true says the same): on lo while announced, put
// there before the announcement; `always`: on lo from start to exit, with a
// label; an address deleted behind the announcer's back is put back, loudly.

import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { bin, waitFor } from "../harness/index.js";

const NS = `exacast-lo-${randomBytes(3).toString("hex")}`;
const NS2 = `exacast-lo2-${randomBytes(3).toString("hex")}`;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function namespaceProblem(): string | null {
  try {
    for (const ns of [NS, NS2]) {
      ip("netns", "add", ns);
      ip("-n", ns, "link", "set", "lo", "up");
    }
    return null;
  } catch (e) {
    return `network namespaces are not permitted here (${(e as Error).message.split("\n")[0]})`;
  }
}

const problem = namespaceProblem();
if (problem) console.log(`skipped announcer-loopback: ${problem}`);

const loLines = (ns = NS) => ip("-n", ns, "-o", "address", "show", "dev", "lo").split("\n");
const loAddresses = (ns = NS) =>
  loLines(ns)
    .map((l) => / inet6? (\S+)/.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && !a.startsWith("127.") && a !== "::1/128");

describe.skipIf(problem !== null)("manage_loopback in a network namespace", () => {
  const dir = mkdtempSync(`${tmpdir()}/exacast-loopback-`);
  const maintenance = `${dir}/web.disabled`;
  let child: ChildProcess;
  const out: string[] = [];
  let err = "";
  let exit: Promise<number | null>;

  beforeAll(() => {
    // Configured by hand before the announcer starts: it must be left alone.
    ip("-n", NS, "address", "add", "10.255.255.9/32", "dev", "lo");
    writeFileSync(
      `${dir}/announcer.yaml`,
      [
        "next_hop: self",
        "manage_loopback: true",
        "ack: false",
        "interval: 100ms",
        "fast_interval: 50ms",
        "rise: 1",
        "fall: 1",
        "apps:",
        `  - { name: web, vips: [10.255.255.1/32, "2001:db8::1/128"], ports: [443], checks: [{ file_absent: ${maintenance} }] }`,
        "  - { name: pre, vip: 10.255.255.9/32, ports: [53] }",
      ].join("\n") + "\n",
    );
    const [node, script] = bin("exacast-announcer");
    child = spawn("ip", ["netns", "exec", NS, node!, script!, "--config", `${dir}/announcer.yaml`], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, STATE_DIRECTORY: dir } });
    let buf = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      out.push(...lines.filter(Boolean));
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => (err += d));
    exit = new Promise((r) => child.on("exit", (code) => r(code)));
  });

  afterAll(() => {
    child?.kill("SIGKILL");
    try {
      ip("netns", "del", NS);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("a VIP goes on lo when announced and comes off when withdrawn", async () => {
    onTestFailed(() => console.log(err));
    await waitFor(() => out.filter((l) => l.startsWith("announce ")).length === 3, { what: "three announcements" });
    await waitFor(() => loAddresses().includes("10.255.255.1/32") && loAddresses().includes("2001:db8::1/128"), { what: "VIPs on lo" });
    expect(err).toMatch(/loopback_present vip=10\.255\.255\.9\/32/);
    // Put in place before it was announced, never after.
    expect(err.indexOf("loopback_add vip=10.255.255.1/32")).toBeGreaterThan(0);
    expect(err.indexOf("loopback_add vip=10.255.255.1/32")).toBeLessThan(err.indexOf("announce vip=10.255.255.1/32"));

    writeFileSync(maintenance, "");
    await waitFor(() => out.includes("withdraw route 10.255.255.1/32 next-hop self"), { what: "withdraw" });
    await waitFor(() => !loAddresses().includes("10.255.255.1/32") && !loAddresses().includes("2001:db8::1/128"), { what: "VIPs off lo" });
    rmSync(maintenance);
    await waitFor(() => loAddresses().includes("10.255.255.1/32"), { what: "VIP back on lo" });
  });

  it("on exit the addresses it added are removed, the one configured by hand stays", async () => {
    onTestFailed(() => console.log(err));
    child.stdin!.end();
    expect(await exit).toBe(0);
    expect(loAddresses()).toEqual(["10.255.255.9/32"]);
    expect(out.slice(-3)).toEqual([
      "withdraw route 10.255.255.1/32 next-hop self",
      "withdraw route 10.255.255.9/32 next-hop self",
      "withdraw route 2001:db8::1/128 next-hop self",
    ]);
    // The host's own lo never saw them.
    expect(execFileSync("ip", ["-o", "address", "show", "dev", "lo"], { encoding: "utf8" })).not.toMatch(/10\.255\.255\.1\/32|2001:db8::1\//);
  });
});

describe.skipIf(problem !== null)("manage_loopback: always, with a label, in a network namespace", () => {
  const dir = mkdtempSync(`${tmpdir()}/exacast-loopback2-`);
  const maintenance = `${dir}/web.disabled`;
  let child: ChildProcess;
  const out: string[] = [];
  let err = "";
  let exit: Promise<number | null>;

  beforeAll(() => {
    // Left by a predecessor killed before it could clean up: it carries our label.
    ip("-n", NS2, "address", "add", "10.255.255.7/32", "dev", "lo", "label", "lo:exacast");
    writeFileSync(maintenance, "");
    writeFileSync(
      `${dir}/announcer.yaml`,
      [
        "next_hop: self",
        "manage_loopback: always",
        "loopback_label: exacast",
        "ack: false",
        "interval: 100ms",
        "fast_interval: 50ms",
        "rise: 1",
        "fall: 1",
        "apps:",
        `  - { name: web, vips: [10.255.255.1/32, "2001:db8::1/128"], ports: [443], checks: [{ file_absent: ${maintenance} }] }`,
      ].join("\n") + "\n",
    );
    const [node, script] = bin("exacast-announcer");
    child = spawn("ip", ["netns", "exec", NS2, node!, script!, "--config", `${dir}/announcer.yaml`], { stdio: ["pipe", "pipe", "pipe"] });
    let buf = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      out.push(...lines.filter(Boolean));
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => (err += d));
    exit = new Promise((r) => child.on("exit", (code) => r(code)));
  });

  afterAll(() => {
    child?.kill("SIGKILL");
    try {
      ip("netns", "del", NS2);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("the VIPs are on lo from the start, the app DISABLED and nothing announced; the IPv4 one carries the label", async () => {
    onTestFailed(() => console.log(err));
    await waitFor(() => loAddresses(NS2).includes("10.255.255.1/32") && loAddresses(NS2).includes("2001:db8::1/128"), { what: "VIPs on lo" });
    await waitFor(() => /app_state app=web from=INIT to=DISABLED/.test(err), { what: "web DISABLED" });
    expect(out.filter((l) => l.startsWith("announce "))).toEqual([]);
    expect(loLines(NS2).find((l) => l.includes("10.255.255.1/32"))).toMatch(/ lo:exacast/);
  });

  it("announced when the app comes UP; withdrawn in maintenance with the addresses kept", async () => {
    onTestFailed(() => console.log(err));
    rmSync(maintenance);
    await waitFor(() => out.includes("announce route 10.255.255.1/32 next-hop self community [12345:443]"), { what: "announce" });
    const mark = out.length;
    writeFileSync(maintenance, "");
    await waitFor(() => out.slice(mark).includes("withdraw route 10.255.255.1/32 next-hop self"), { what: "withdraw" });
    expect(loAddresses(NS2)).toContain("10.255.255.1/32");
    rmSync(maintenance);
    await waitFor(() => out.filter((l) => l.startsWith("announce route 10.255.255.1/32")).length === 2, { what: "announced again" });
  });

  it("an address deleted behind its back is put back at the next read of lo, with an error logged, the route kept", async () => {
    onTestFailed(() => console.log(err));
    const lines = out.length;
    ip("-n", NS2, "address", "del", "10.255.255.1/32", "dev", "lo");
    await waitFor(() => /ERROR loopback_missing vip=10\.255\.255\.1\/32 .*action="added again"/.test(err), { what: "loopback_missing logged" });
    await waitFor(() => loAddresses(NS2).includes("10.255.255.1/32"), { what: "VIP back on lo" });
    expect(out.slice(lines).filter((l) => l.startsWith("withdraw route 10.255.255.1/32"))).toEqual([]);
  });

  it("on exit every address it added is removed, the predecessor's labelled one too", async () => {
    onTestFailed(() => console.log(err));
    child.stdin!.end();
    expect(await exit).toBe(0);
    expect(loAddresses(NS2)).toEqual([]);
    expect(err).toMatch(/loopback_adopted vip=10\.255\.255\.7\/32/);
  });
});
