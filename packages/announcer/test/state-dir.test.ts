// state_dir at run time: the files stay where configured when this user can
// write there, move to a private fallback folder (loudly) when not.

import { describe, expect, it } from "vitest";
import { createLogger } from "@exacast/core";
import type { DirProbe } from "../src/state-dir.js";
import { usableStatePaths } from "../src/state-dir.js";

function world(writable: Record<string, string | null>, privateOk: string | null = null) {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ program: "t", level: "debug", format: "json", write: (l) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  const asked: string[] = [];
  const probe: DirProbe = {
    writable: async (d) => (asked.push(`writable ${d}`), writable[d] ?? null),
    privateDir: async (d) => (asked.push(`private ${d}`), privateOk),
  };
  return { logs, log, asked, probe };
}

const IN_DIR = { announcedFile: "/var/lib/exacast/a-1.announced.json", httpStateFile: "/var/lib/exacast/a-1.http-apps.json" };

describe("state_dir: where the state files go at run time", () => {
  it("a writable state_dir keeps them", async () => {
    const w = world({});
    expect(await usableStatePaths("/var/lib/exacast", IN_DIR, w.log, w.probe, "/tmp/exacast-0")).toEqual(IN_DIR);
    expect(w.logs).toEqual([]);
  });

  it("one this user cannot write: the files go to the private fallback, with a warning that says how to fix it", async () => {
    const w = world({ "/var/lib/exacast": "ENOENT" });
    expect(await usableStatePaths("/var/lib/exacast", IN_DIR, w.log, w.probe, "/tmp/exacast-0")).toEqual({
      announcedFile: "/tmp/exacast-0/a-1.announced.json",
      httpStateFile: "/tmp/exacast-0/a-1.http-apps.json",
    });
    expect(w.logs).toMatchObject([{ level: "warn", event: "state_dir_fallback", state_dir: "/var/lib/exacast", error: "ENOENT", using: "/tmp/exacast-0" }]);
    expect(String(w.logs[0]!.hint)).toContain("install -d -o exabgp -g exabgp /var/lib/exacast");
  });

  it("files set elsewhere stay where they are; only those in state_dir move", async () => {
    const w = world({ "/var/lib/exacast": "EACCES" });
    const paths = { announcedFile: "/run/exacast/a.json", httpStateFile: "/var/lib/exacast/h.json" };
    expect(await usableStatePaths("/var/lib/exacast", paths, w.log, w.probe, "/tmp/exacast-0")).toEqual({ announcedFile: "/run/exacast/a.json", httpStateFile: "/tmp/exacast-0/h.json" });
    const none = world({ "/var/lib/exacast": "EACCES" });
    expect(await usableStatePaths("/var/lib/exacast", { announcedFile: "/run/a.json", httpStateFile: null }, none.log, none.probe)).toEqual({ announcedFile: "/run/a.json", httpStateFile: null });
    expect(none.asked).toEqual([]); // nothing in state_dir: not even looked at
  });

  it("a fallback someone else could have prepared is refused: the paths stay, and an error says what is at risk", async () => {
    const w = world({ "/var/lib/exacast": "EACCES" }, "owned by uid 1000, not by this user");
    expect(await usableStatePaths("/var/lib/exacast", IN_DIR, w.log, w.probe, "/tmp/exacast-0")).toEqual(IN_DIR);
    expect(w.logs).toMatchObject([{ level: "error", event: "state_dir_unusable", fallback_error: "owned by uid 1000, not by this user" }]);
  });
});
