// Both status pages in a real browser (Debian's chromium, headless) from
// running programs under real ExaBGP and GoBGP: the DOM chromium builds shows
// the apps, VIPs, backends, neighbors and renders of the run, in the states
// they are in; the announcer's page opens with the token as HTTP Basic
// credentials; and the markup an HTTP client put in a check shows as text,
// never as an element.

import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { StatusWorld } from "../harness/index.js";
import { domText, dumpDom, HOSTILE_TEXT, Lab, statusWorld, waitFor } from "../harness/index.js";

const lab = new Lab("status-page");
let w: StatusWorld;

/** The page as chromium rendered it, and its text. */
async function load(url: string): Promise<{ dom: string; text: string; ms: number }> {
  const t0 = performance.now();
  const dom = await dumpDom(url);
  return { dom, text: domText(dom), ms: performance.now() - t0 };
}

describe("status pages in chromium", () => {
  beforeAll(async () => {
    w = await statusWorld(lab);
  });

  afterAll(() => lab.close());

  it("the announcer's page: apps with source, state and checks; VIPs with communities and holders; the hostile check as text", async () => {
    onTestFailed(() => console.log(lab.report()));
    // Without credentials the browser gets a Basic challenge (it would prompt).
    const bare = await fetch(w.announcerBase + "/");
    expect([bare.status, bare.headers.get("www-authenticate")]).toEqual([401, 'Basic realm="exacast", charset="UTF-8"']);
    expect((await load(w.announcerBase + "/")).text).not.toContain("Apps up");

    const { dom, text, ms } = await load(w.announcerUrl);
    console.log(`announcer page in chromium: ${ms.toFixed(0)} ms, ${dom.length} bytes of DOM`);
    expect(dom).toContain('<meta http-equiv="refresh" content="5">');
    expect(text).toMatch(/web config UP \S+ ago 10\.255\.255\.1\/32 2001:db8::1\/128 80 443 pass tcp \S+ connected · [\d.]+ ms/);
    expect(text).toMatch(/api config DOWN \S+ ago 10\.255\.255\.2\/32 8080 fail tcp \S+ connection refused/);
    expect(text).toMatch(/batch config DISABLED .* maintenance file_absent \S+\/maintenance maintenance: \S+ exists .* not run tcp/);
    expect(text).toMatch(/hostile http DOWN \S+ ago 10\.255\.255\.3\/32 8443 fail http http:\/\/\S+\/healthz contains/);
    expect(text).toContain("1 / 4 Apps up");
    expect(text).toMatch(/10\.255\.255\.1\/32 announced 12345:80 12345:443 — 200 web \(not serving: batch\)/);
    expect(text).toMatch(/10\.255\.255\.2\/32 withdrawn — — — — \(not serving: api\)/);
    expect(text).toMatch(/2001:db8::1\/128 announced 12345:80 12345:443 — 200 web/);
    expect(text).toContain("Consul discovery is off");
    expect(text).toMatch(/Commands sent \d+ Acknowledged \d+ Answered error 0 Not answered in time 0/);

    // The markup came from an HTTP client: chromium made text of it, no element.
    expect(text).toContain(`status 200 but the body does not contain ${JSON.stringify(HOSTILE_TEXT)}`);
    expect(dom).toContain("&lt;script&gt;alert(");
    expect(dom).not.toMatch(/<script/i);
  });

  it("the listener's page: per port its backends (neighbor, path, MED, draining), neighbors, renders; then stale with the grace left", async () => {
    onTestFailed(() => console.log(lab.report()));
    const { dom, text, ms } = await load(w.listenerUrl);
    console.log(`listener page in chromium: ${ms.toFixed(0)} ms, ${dom.length} bytes of DOM`);
    const rs = w.rs.address;
    const C = w.peerAddress;
    expect(text).toContain("port 80 · 2 prefixes · 2 backends");
    expect(text).toContain("port 443 · 4 prefixes · 4 backends");
    // No LOCAL_PREF: the announcer's 200 does not cross the route server's eBGP session.
    expect(text).toContain(`10.255.255.1 /32 up ${rs} 0 192.0.2.2 — — 12345:80 12345:443`);
    expect(text).toContain(`2001:db8::1 /128 up ${rs} 0 2001:db8::2`);
    expect(text).toContain(`10.255.255.7 /32 up ${C} 0 192.0.2.7 10 — 12345:443`);
    expect(text).toContain(`10.255.255.8 /32 draining ${C} 0 192.0.2.8 — — 12345:443 65535:0`);
    expect(text).toMatch(new RegExp(`${rs.replace(/\./g, "\\.")} up \\S+ ago 2 0`));
    expect(text).toMatch(new RegExp(`${C.replace(/\./g, "\\.")} up \\S+ ago 2 0`));
    expect(text).toMatch(/seed\.ejs \S+services\.txt \S+ ago written written/);
    expect(text).toMatch(/haproxy\.cfg\.ejs \S+haproxy\.cfg \S+ ago written written/);
    // A check's output with markup in it, as text.
    expect(text).toMatch(/nginx\.conf \S+nginx\.conf \S+ ago check failed not written: left as it was check exit 1: nginx: \[emerg\] <upstream> has no servers/);
    expect(dom).toContain("&lt;upstream&gt;");
    expect(dom).not.toMatch(/<script|<upstream/i);

    // The direct peer goes away: its routes stay (stale_grace 5m), shown with the time left.
    await w.peer.stop("SIGTERM");
    await waitFor(async () => ((await (await fetch(`${w.listenerUrl}status`)).json()) as { stale: unknown[] }).stale.length === 2, {
      what: "the peer's routes stale",
      timeout: 20_000,
    });
    const after = (await load(w.listenerUrl)).text;
    expect(after).toMatch(/10\.255\.255\.7 \/32 stale, 4m 5\ds left \S+ 0 192\.0\.2\.7/);
    expect(after).toMatch(/10\.255\.255\.8 \/32 stale, 4m 5\ds left draining \S+ 0 192\.0\.2\.8/);
    expect(after).toMatch(new RegExp(`${C.replace(/\./g, "\\.")} down \\S+ ago 2 2 stale, 4m 5\\ds left`));
    expect(after).toContain("2 Stale routes");
  });
});
