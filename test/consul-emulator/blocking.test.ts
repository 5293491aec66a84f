import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { get, put } from "./http-helper.js";
import { startConsulEmulator, type ConsulEmulator } from "./index.js";

let c: ConsulEmulator;
beforeEach(async () => {
  c = await startConsulEmulator();
});
afterEach(async () => {
  await c.close();
});

const indexOf = (h: Headers) => Number(h.get("x-consul-index"));
const blocked = (n: number) => waitFor(() => c.blockedQueries === n, { timeout: 3000, what: `${n} blocked queries` });

describe("index-based blocking queries", () => {
  it("returns as soon as the watched service registers, well before wait", async () => {
    const first = await get(c, "/v1/health/service/web");
    const index = indexOf(first.headers);
    const pending = get(c, `/v1/health/service/web?index=${index}&wait=10s`);
    await blocked(1);
    c.registerService({ Name: "web", Port: 80 });
    const r = await pending;
    expect(r.ms).toBeLessThan(2000);
    expect(indexOf(r.headers)).toBeGreaterThan(index);
    expect((r.json as unknown[]).length).toBe(1);
    expect(c.blockedQueries).toBe(0);
  });

  it("with no change returns after wait (plus at most wait/16) with the same index and data", async () => {
    c.registerService({ Name: "web", Port: 80 });
    const first = await get(c, "/v1/health/service/web");
    const r = await get(c, `/v1/health/service/web?index=${indexOf(first.headers)}&wait=400ms`);
    expect(r.ms).toBeGreaterThanOrEqual(395);
    expect(r.ms).toBeLessThan(400 + 400 / 16 + 1000);
    expect(indexOf(r.headers)).toBe(indexOf(first.headers));
    expect(r.json).toEqual(first.json);
  });

  it("wakes on a check status change, and not on changes to other services", async () => {
    c.registerService({ Name: "web", Check: { CheckID: "t", TTL: "30s" } });
    const index = indexOf((await get(c, "/v1/health/service/web")).headers);
    const catalogIndex = indexOf((await get(c, "/v1/catalog/services")).headers);

    // Another service's registration leaves web's index alone.
    const quiet = get(c, `/v1/health/service/web?index=${index}&wait=300ms`);
    await blocked(1);
    c.registerService({ Name: "db" });
    expect(indexOf((await quiet).headers)).toBe(index);

    // A status change of web's check wakes web's watchers but not the catalog's service list.
    const health = get(c, `/v1/health/service/web?index=${index}&wait=10s`);
    const catalog = get(c, `/v1/catalog/services?index=${indexOf((await get(c, "/v1/catalog/services")).headers)}&wait=300ms`);
    await blocked(2);
    await put(c, "/v1/agent/check/pass/t");
    const h = await health;
    expect([h.ms < 2000, (h.json as { Checks: { Status: string }[] }[])[0]!.Checks[1]!.Status]).toEqual([true, "passing"]);
    const cat = await catalog;
    expect(cat.ms).toBeGreaterThanOrEqual(295);
    expect(indexOf(cat.headers)).toBeGreaterThan(catalogIndex); // db's registration, before the wait began
  });

  it("wakes when a TTL expires", async () => {
    c.registerService({ Name: "web", Check: { CheckID: "t", TTL: "300ms", Status: "passing" } });
    const index = indexOf((await get(c, "/v1/health/service/web")).headers);
    const r = await get(c, `/v1/health/service/web?passing&index=${index}&wait=10s`);
    expect(r.ms).toBeLessThan(3000);
    expect(r.json).toEqual([]);
  });

  it("does not block without ?index (or with index=0), nor on the agent's own endpoints", async () => {
    expect((await get(c, "/v1/health/service/web?wait=5s")).ms).toBeLessThan(1000);
    expect((await get(c, "/v1/health/service/web?index=0&wait=5s")).ms).toBeLessThan(1000);
    const agent = await get(c, `/v1/agent/services?index=${c.index}&wait=5s`);
    expect([agent.status, agent.ms < 1000, agent.headers.get("x-consul-index")]).toEqual([200, true, null]);
  });

  it("refuses a bad wait or index with a plain-text 400", async () => {
    for (const [q, text] of [["wait=10", "Invalid wait time"], ["wait=soon", "Invalid wait time"], ["index=-1", "Invalid index"], ["index=abc", "Invalid index"]]) {
      const r = await get(c, `/v1/health/service/web?${q}`);
      expect([r.status, r.text], q).toEqual([400, text]);
    }
  });

  it("wakes many waiters at once", async () => {
    const index = indexOf((await get(c, "/v1/catalog/services")).headers);
    const waiters = Array.from({ length: 20 }, () => get(c, `/v1/catalog/services?index=${index}&wait=10s`));
    await blocked(20);
    c.registerService({ Name: "web" });
    const all = await Promise.all(waiters);
    expect(all.every((r) => r.ms < 3000 && indexOf(r.headers) > index)).toBe(true);
  });
});

describe("hash-based blocking (/v1/agent/service/:id)", () => {
  it("returns when the service changes, or after wait with the same hash", async () => {
    c.registerService({ Name: "web", Tags: ["a"] });
    const first = await get(c, "/v1/agent/service/web");
    const hash = first.headers.get("x-consul-contenthash")!;
    const same = await get(c, `/v1/agent/service/web?hash=${hash}&wait=300ms`);
    expect([same.ms >= 295, same.headers.get("x-consul-contenthash")]).toEqual([true, hash]);

    const pending = get(c, `/v1/agent/service/web?hash=${hash}&wait=10s`);
    await blocked(1);
    c.registerService({ Name: "web", Tags: ["b"] });
    const changed = await pending;
    expect(changed.ms).toBeLessThan(2000);
    expect(changed.headers.get("x-consul-contenthash")).not.toBe(hash);
    expect((changed.json as { Tags: string[] }).Tags).toEqual(["b"]);
  });

  it("answers 404 when the watched service is deregistered", async () => {
    c.registerService({ Name: "web" });
    const hash = (await get(c, "/v1/agent/service/web")).headers.get("x-consul-contenthash")!;
    const pending = get(c, `/v1/agent/service/web?hash=${hash}&wait=10s`);
    await blocked(1);
    c.deregisterService("web");
    const r = await pending;
    expect([r.status, r.text]).toEqual([404, "unknown service ID: web"]);
  });
});

describe("outage and recovery", () => {
  it("stop() cuts hanging queries and refuses connections; start() serves the same state on the same port", async () => {
    c.registerService({ Name: "web" });
    const port = c.port;
    const index = indexOf((await get(c, "/v1/health/service/web")).headers);
    const hanging = get(c, `/v1/health/service/web?index=${index}&wait=30s`).then(
      () => "answered",
      () => "cut",
    );
    await blocked(1);
    const t0 = Date.now();
    await c.stop();
    expect(await hanging).toBe("cut");
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(c.blockedQueries).toBe(0);
    await expect(get(c, "/v1/agent/services")).rejects.toThrow();

    await c.start();
    expect(c.port).toBe(port);
    expect(Object.keys((await get(c, "/v1/agent/services")).json as object)).toEqual(["web"]);
    expect(indexOf((await get(c, "/v1/health/service/web")).headers)).toBe(index);
  });

  it("releases a waiter whose client goes away", async () => {
    const ac = new AbortController();
    const p = fetch(`${c.url}/v1/catalog/services?index=${c.index}&wait=30s`, { signal: ac.signal }).catch(() => "aborted");
    await blocked(1);
    ac.abort();
    expect(await p).toBe("aborted");
    await blocked(0);
  });
});
