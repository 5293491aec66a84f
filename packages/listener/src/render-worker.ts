// The thread templates run in (see template-runner.ts). It keeps its own
// compiled copy of each template and the last services map it was sent; each
// render request names a template and its vars, and gets the text back or the
// error the template threw. Nothing here writes files or runs commands: the
// main thread does, with what comes back.

import { parentPort } from "node:worker_threads";
import type { ServicesMap, TemplateData } from "./services.js";
import { templateData } from "./services.js";
import { collectAfterRender } from "./collect.js";
import type { CompiledTemplate } from "./template.js";
import { compileTemplate } from "./template.js";

export type WorkerRequest =
  | { readonly kind: "compile"; readonly key: number; readonly text: string; readonly file: string }
  /** The services map as servicesJson() writes it. */
  | { readonly kind: "map"; readonly json: string }
  | { readonly kind: "render"; readonly id: number; readonly key: number; readonly vars: TemplateData["vars"] };

export type WorkerReply = { readonly id: number; readonly seconds: number } & ({ readonly text: string } | { readonly error: string });
export type WorkerMessage = WorkerReply | { readonly ready: true };

const templates = new Map<number, CompiledTemplate | string>();
let map: ServicesMap = { services: {}, backends: {}, ports: [] };
let routes = 0;

function handle(m: WorkerRequest): WorkerReply | undefined {
  switch (m.kind) {
    case "compile": {
      const t = compileTemplate(m.text, m.file);
      templates.set(m.key, t.ok ? t.value : t.error);
      return undefined;
    }
    case "map":
      map = JSON.parse(m.json) as ServicesMap;
      routes = 0;
      for (const port of map.ports) routes += map.backends[port]!.length;
      return undefined;
    case "render": {
      const t0 = performance.now();
      const t = templates.get(m.key);
      if (t === undefined || typeof t === "string") return { id: m.id, seconds: 0, error: t ?? "template not compiled in the render thread" };
      try {
        const text = t.render(templateData(map, m.vars));
        return { id: m.id, seconds: (performance.now() - t0) / 1000, text };
      } catch (e) {
        return { id: m.id, seconds: (performance.now() - t0) / 1000, error: (e as Error).message };
      }
    }
  }
}

parentPort?.on("message", (m: WorkerRequest) => {
  const reply = handle(m);
  if (reply !== undefined) parentPort!.postMessage(reply);
  // This thread holds a big map and a render's garbage too (see collect.ts).
  if (m.kind === "render") collectAfterRender(routes);
});
// Loaded: render_timeout counts from here, not while the thread starts.
parentPort?.postMessage({ ready: true });
