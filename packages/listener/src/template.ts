/// <reference path="./ejs.d.ts" />
// EJS templates as exacast uses them: config text, not HTML, so `<%=` writes
// values as they are; includes resolve relative to the template's own file.
// Compiling names the file and line of a syntax error (ejs itself does not).
//
// Speed: the template data's names are passed as locals of the compiled
// function instead of through ejs's default `with (locals)`, which makes every
// name lookup slow (3× on a big HAProxy config). Renders run without ejs's
// line tracking; when one throws, the template runs again with it to say
// where (rendering is a pure function of the data).

import { readFile } from "node:fs/promises";
import vm from "node:vm";
import ejs from "ejs";
import type { Options, TemplateFunction } from "ejs";
import type { Result } from "@exacast/core";
import { err, ok } from "@exacast/core";
import type { TemplateData } from "./services.js";

export interface CompiledTemplate {
  readonly file: string;
  /** The text it was compiled from (a template file changed on disk is compared with it). */
  readonly text: string;
  /** Throws what the template threw, as `file:line: message`. */
  render(data: TemplateData): string;
}

const noEscape = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

/** What a template sees, by name (the contract's template data). */
export const TEMPLATE_NAMES = ["services", "backends", "ports", "addr", "vars"];

function options(file: string, debug: boolean): Options {
  return { filename: file, escape: noEscape, compileDebug: debug, strict: false, cache: false, _with: false, destructuredLocals: TEMPLATE_NAMES };
}

export function compileTemplate(text: string, file: string): Result<CompiledTemplate> {
  let fast: TemplateFunction;
  try {
    fast = ejs.compile(text, options(file, false));
  } catch (e) {
    return err(`${file}:${errorLine(text, file) ?? "?"}: ${firstLine((e as Error).message)}`);
  }
  let traced: TemplateFunction | undefined;
  return ok({
    file,
    text,
    render(data: TemplateData): string {
      const locals = data as unknown as Record<string, unknown>;
      try {
        return fast(locals);
      } catch (first) {
        try {
          traced ??= ejs.compile(text, options(file, true));
          traced(locals);
        } catch (e) {
          throw new Error(renderErrorMessage(e, file));
        }
        throw new Error(renderErrorMessage(first, file));
      }
    },
  });
}

/** A template file, compiled (render needs no config: it loads this alone). */
export async function loadTemplate(file: string): Promise<Result<CompiledTemplate>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    return err(`${file}: cannot read template: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return compileTemplate(text, file);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.replace(/ while compiling ejs$/, "");
}

/**
 * Where a template that does not compile is wrong. An unclosed tag is where the
 * last `<%` without a `%>` opens; a JavaScript syntax error is found by
 * compiling ejs's generated code with node:vm (which reports a line) and
 * mapping that back through the `__line = N` markers ejs writes into it.
 */
function errorLine(text: string, file: string): number | undefined {
  const t = new ejs.Template(text, options(file, true));
  try {
    t.generateSource();
  } catch {
    const open = text.lastIndexOf("<%");
    return open === -1 ? undefined : lineAt(text, open);
  }
  const body = t.source.split("\n");
  let generatedLine: number | undefined;
  try {
    new vm.Script(`(function () {\n${t.source}\n})`, { filename: file });
    return undefined;
  } catch (e) {
    const m = /^[^\n]*:(\d+)\n/.exec((e as Error).stack ?? "");
    if (m) generatedLine = Number(m[1]) - 1;
  }
  if (generatedLine === undefined) return undefined;
  for (let i = Math.min(generatedLine, body.length) - 1; i >= 0; i--) {
    const marker = /__line = (\d+)/.exec(body[i]!);
    if (marker) return Number(marker[1]);
  }
  return 1;
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

// ejs rethrows runtime errors as "file:line\n<context>\n\nmessage": one line is enough for a log.
function renderErrorMessage(e: unknown, file: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split("\n");
  const where = /^(.*):(\d+)$/.exec(lines[0] ?? "");
  if (where && lines.length > 2) return `${where[1]}:${where[2]}: ${lines.slice(lines.indexOf("") + 1).join(" ").trim()}`;
  return `${file}: ${msg.replace(/\n/g, " ")}`;
}
