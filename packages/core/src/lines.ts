// Splits a character stream into lines, holding at most one line (bounded by
// maxLength) in memory: an endless line from a broken peer is skipped and
// reported, not buffered. Blank lines are counted but not delivered (ExaBGP's
// text encoder writes one after each neighbor event).

import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** ExaBGP never writes lines this long; a longer one is refused before JSON.parse. */
export const MAX_LINE_LENGTH = 1 << 20;

export interface LineHandlers {
  line(text: string, lineNo: number): void;
  oversize?(lineNo: number, length: number): void;
}

export class LineSplitter {
  private partial = "";
  private skipping = false;
  private skipped = 0;
  private lineNo = 0;

  constructor(
    private readonly handlers: LineHandlers,
    private readonly maxLength = MAX_LINE_LENGTH,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
      this.finish(chunk.slice(start, nl));
      start = nl + 1;
    }
    const rest = start === 0 ? chunk : chunk.slice(start);
    if (this.skipping) this.skipped += rest.length;
    else if (this.partial.length + rest.length > this.maxLength) {
      this.skipping = true;
      this.skipped = this.partial.length + rest.length;
      this.partial = "";
    } else this.partial += rest;
  }

  /** Deliver a last line that had no newline. */
  end(): void {
    if (this.skipping || this.partial.length > 0) this.finish("");
  }

  private finish(piece: string): void {
    this.lineNo++;
    if (this.skipping) {
      this.skipping = false;
      this.handlers.oversize?.(this.lineNo, this.skipped + piece.length);
      return;
    }
    let line = this.partial.length > 0 ? this.partial + piece : piece;
    this.partial = "";
    if (line.length > this.maxLength) {
      this.handlers.oversize?.(this.lineNo, line.length);
      return;
    }
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length > 0) this.handlers.line(line, this.lineNo);
  }
}

/** Feed a byte stream (stdin) through a LineSplitter; resolves at end of stream. */
export function readLines(stream: Readable, handlers: LineHandlers, maxLength = MAX_LINE_LENGTH): Promise<void> {
  const splitter = new LineSplitter(handlers, maxLength);
  const decoder = new StringDecoder("utf8");
  return new Promise((resolve, reject) => {
    stream.on("data", (chunk: Buffer | string) => {
      splitter.push(typeof chunk === "string" ? chunk : decoder.write(chunk));
    });
    stream.on("end", () => {
      splitter.push(decoder.end());
      splitter.end();
      resolve();
    });
    stream.on("error", reject);
  });
}
