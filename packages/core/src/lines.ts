// Splits a character stream into lines, holding at most one line (bounded by
// maxLength) in memory: an endless line from a broken peer is skipped and
// reported, not buffered. Blank lines are counted but not delivered (ExaBGP's
// text encoder writes one after each neighbor event).

import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { Worker } from "node:worker_threads";

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

/** Bytes read from stdin and not yet split by the main thread, at most (then the reader waits). */
const STDIN_AHEAD = 16 << 20;

// The reader thread: stdin as Node would open it there (a pipe or socket as a
// net.Socket, a file as a file stream, a terminal as a tty), each chunk copied
// out and handed over, then "end". It pauses once STDIN_AHEAD bytes are handed
// over and not yet taken (ahead[0]; ahead[1] = 1 while paused), until the main
// thread, having taken half of them, says "resume". (No blocking read: a
// thread stuck in read(2) would keep the process from exiting.)
const STDIN_READER = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const { ahead, limit } = workerData;
const st = fs.fstatSync(0);
const input = st.isFIFO() || st.isSocket() ? new (require("node:net").Socket)({ fd: 0, readable: true, writable: false })
  : st.isCharacterDevice() && require("node:tty").isatty(0) ? new (require("node:tty").ReadStream)(0)
  : fs.createReadStream("", { fd: 0, highWaterMark: 65536 });
input.on("data", (chunk) => {
  const copy = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.length);
  if (Atomics.add(ahead, 0, chunk.length) + chunk.length >= limit) {
    Atomics.store(ahead, 1, 1);
    input.pause();
  }
  parentPort.postMessage({ chunk: copy }, [copy]);
});
parentPort.on("message", () => { Atomics.store(ahead, 1, 0); input.resume(); });
input.on("end", () => parentPort.postMessage({ end: true }));
input.on("error", (e) => parentPort.postMessage({ error: e.message }));
`;

export interface StdinReader {
  /** Deliver stdin's lines (those read already first); resolves at end of stdin. */
  lines(handlers: LineHandlers, maxLength?: number): Promise<void>;
  /** Stop reading: no line is delivered after this. */
  stop(): void;
}

type ReaderMessage = { chunk?: ArrayBuffer; end?: true; error?: string };

/**
 * Read stdin on a thread of its own, from now on: stdin keeps being read
 * (ExaBGP never blocks writing to us) while the main thread is busy, e.g.
 * rendering a template over 100k routes, or still loading its config when the
 * program starts; what is read waits in memory, up to STDIN_AHEAD bytes.
 */
export async function openStdin(): Promise<StdinReader> {
  const { Worker } = await import("node:worker_threads");
  const ahead = new Int32Array(new SharedArrayBuffer(8));
  const worker: Worker = new Worker(STDIN_READER, { eval: true, workerData: { ahead, limit: STDIN_AHEAD }, stdout: false, stderr: false });
  const early: ReaderMessage[] = [];
  let deliver: (m: ReaderMessage) => void = (m) => early.push(m);
  let failed: (e: Error) => void = (e) => early.push({ error: e.message });
  worker.on("message", (m: ReaderMessage) => deliver(m));
  worker.on("error", (e: Error) => failed(e));
  let stopped = false;
  return {
    lines(handlers, maxLength = MAX_LINE_LENGTH) {
      const splitter = new LineSplitter(handlers, maxLength);
      const decoder = new StringDecoder("utf8");
      return new Promise<void>((resolve, reject) => {
        deliver = (m) => {
          if (m.chunk) {
            if (!stopped) splitter.push(decoder.write(Buffer.from(m.chunk)));
            const left = Atomics.sub(ahead, 0, m.chunk.byteLength) - m.chunk.byteLength;
            if (left < STDIN_AHEAD / 2 && Atomics.compareExchange(ahead, 1, 1, 2) === 1) worker.postMessage("resume");
          } else if (m.end) {
            splitter.push(decoder.end());
            splitter.end();
            resolve();
          } else reject(new Error(m.error));
        };
        failed = reject;
        for (const m of early.splice(0)) deliver(m);
      });
    },
    stop: () => {
      stopped = true;
      void worker.terminate();
    },
  };
}
