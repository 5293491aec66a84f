// A template source changed on disk (template-watch.ts saw it): the running
// setup with that file compiled again, or why it stays as it is. A text that
// does not compile (an edit half saved, a typo) is refused and the template
// already loaded keeps rendering; the next save is tried again.

import type { Result } from "@exacast/core";
import type { Setup } from "./setup.js";
import { loadTemplate } from "./template.js";
import type { CompiledTemplate } from "./template.js";

export type TemplateChange = { readonly kind: "unchanged" } | { readonly kind: "refused"; readonly error: string } | { readonly kind: "changed"; readonly setup: Setup };

export async function withChangedTemplate(current: Setup, file: string, load: (file: string) => Promise<Result<CompiledTemplate>> = loadTemplate): Promise<TemplateChange> {
  // Several templates may render one source to different destinations.
  const uses = current.config.templates.flatMap((t, i) => (t.source === file ? [i] : []));
  if (uses.length === 0) return { kind: "unchanged" };
  const t = await load(file);
  if (!t.ok) return { kind: "refused", error: t.error };
  if (uses.every((i) => current.templates[i]?.text === t.value.text)) return { kind: "unchanged" };
  return { kind: "changed", setup: { config: current.config, templates: current.templates.map((old, i) => (uses.includes(i) ? t.value : old)) } };
}
