// The daemon's endpoint on loopback: /metrics, /status and the status page
// from a running daemon (real clock, real files); other paths 404, other
// methods 405.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { createLogger } from "@exacast/core";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../../test/harness/wait.js";
import { parseListenerConfig } from "../../src/config.js";
import { ListenerDaemon } from "../../src/daemon.js";
import { compileTemplate } from "../../src/template.js";
import { announce, state, withdraw } from "../exa-lines.js";

const dir = mkdtempSync(`${tmpdir()}/exacast-daemon-http-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

describe("listener daemon endpoint", () => {
  it("serves /metrics, /status and the status page on loopback; other paths 404, other methods 405", async () => {
    const port = await freePort();
    const template = "<% for (const [port, ips] of Object.entries(services)) { %><%= port %>: <%= ips.join(' ') %>\n<% } %>";
    writeFileSync(`${dir}/t.ejs`, template);
    const c = parseListenerConfig(`templates: [{source: t.ejs, destination: out.txt}]\ndebounce: 10ms\nstale_grace: 30s\nhttp: { listen: "127.0.0.1:${port}" }\n`, "test.yaml", dir);
    const t = compileTemplate(template, `${dir}/t.ejs`);
    if (!c.ok || !t.ok) throw new Error("bad setup");
    const d = new ListenerDaemon({ config: c.value, templates: [t.value] }, createLogger({ program: "t", level: "error", write: () => {} }));
    await d.start();
    try {
      const base = `http://127.0.0.1:${port}`;
      let n = 0;
      for (const l of [state("up"), announce({ prefixes: ["10.0.0.1/32", "10.0.0.2/32"], communities: [[12345, 443], [12345, 80]] }), "junk"]) d.line(l, ++n);
      await waitFor(() => existsSync(`${dir}/out.txt`), { what: "first render" });
      expect(readFileSync(`${dir}/out.txt`, "utf8")).toBe("80: 10.0.0.1/32 10.0.0.2/32\n443: 10.0.0.1/32 10.0.0.2/32\n");
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('exacast_listener_routes{neighbor="127.0.0.1"} 2');
      expect(metrics).toContain('exacast_listener_service_prefixes{port="443"} 2');
      expect(metrics).toContain('exacast_listener_service_backends{port="80"} 2');
      expect(metrics).toContain('exacast_listener_neighbor_up{neighbor="127.0.0.1"} 1');
      expect(metrics).toContain('exacast_listener_lines_rejected_total{reason="not_json"} 1');
      expect(metrics).toContain('exacast_listener_renders_total{template="t.ejs",result="written"} 1');
      expect(metrics).toMatch(/exacast_listener_render_duration_seconds_count\{template="t\.ejs"\} 1/);
      d.line(withdraw(["10.0.0.2/32"]), ++n);
      const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({
        services: { 80: ["10.0.0.1/32"], 443: ["10.0.0.1/32"] },
        ports: [80, 443],
        neighbors: [{ address: "127.0.0.1", state: "up", routes: 1, stale: 0 }],
      });
      expect((status.neighbors as { since: string }[])[0]!.since).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      // The status page, and a session loss under stale_grace: the routes kept, with the grace left.
      d.line(state("down"), ++n);
      const stale = ((await (await fetch(`${base}/status`)).json()) as { stale: { neighbor: string; prefix: string; path_id: number; until: string }[] }).stale;
      // 10.0.0.2 too: withdrawn within a second of the loss, it counts as part of it.
      expect(stale.map((x) => x.prefix).sort()).toEqual(["10.0.0.1/32", "10.0.0.2/32"]);
      expect(stale[0]).toEqual({ neighbor: "127.0.0.1", prefix: expect.any(String), path_id: 0, until: expect.any(String) });
      const left = Date.parse(stale[0]!.until) - Date.now();
      expect(left).toBeGreaterThan(20_000);
      expect(left).toBeLessThanOrEqual(30_000);
      const page = await fetch(`${base}/`);
      expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
      expect(await page.text()).toMatch(/10\.0\.0\.1<span class="muted">\/32<\/span>.*stale, (29|30)s left/s);
      const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
      expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    } finally {
      await d.finish();
    }
  });
});
