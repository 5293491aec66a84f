// A unified diff of two texts, line by line (what --dry shows): Myers'
// O((N+M)·D) algorithm on what lies between the common first and last lines.
// Past MAX_EDITS differences the middle is shown as removed then added: still
// a correct diff, just not the shortest, and never a slow or big computation
// (a HAProxy config of 100k lines all changed). Pure.

const CONTEXT = 3;
const MAX_EDITS = 1000;
/** Marks the last line of a text that does not end with a newline. */
const NO_EOL = "\u0000noeol";

type Op = { readonly kind: " " | "-" | "+"; readonly line: string };

export interface TextDiff {
  /** The unified diff, "" when the texts are equal. */
  readonly text: string;
  readonly added: number;
  readonly removed: number;
}

function linesOf(text: string | undefined): string[] {
  if (text === undefined || text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += NO_EOL;
  return lines;
}

/** The edit script from a to b, or undefined past maxD edits. */
function myers(a: readonly string[], b: readonly string[], maxD: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const off = n + m + 1;
  const v = new Int32Array(2 * off + 1);
  // trace[d]: v as it was before step d, for k in [-d-1, d+1].
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(n + m, maxD); d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b);
    }
  }
  return undefined;
}

function backtrack(trace: readonly Int32Array[], a: readonly string[], b: readonly string[]): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const t = trace[d]!;
    const at = (k: number) => t[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      y--;
      ops.push({ kind: " ", line: a[--x]! });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: "+", line: b[--y]! });
      else ops.push({ kind: "-", line: a[--x]! });
    }
  }
  return ops.reverse();
}

function show(kind: string, line: string): string {
  return line.endsWith(NO_EOL) ? `${kind}${line.slice(0, -NO_EOL.length)}\n\\ No newline at end of file\n` : `${kind}${line}\n`;
}

/** `before` undefined: the file does not exist yet. */
export function unifiedDiff(before: string | undefined, after: string, name: string): TextDiff {
  const a = linesOf(before);
  const b = linesOf(after);
  // The common first and last lines are only ever context: never made into ops.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  if (midA.length === 0 && midB.length === 0) return { text: "", added: 0, removed: 0 };
  const middle = myers(midA, midB, MAX_EDITS) ?? [...midA.map((line) => ({ kind: "-" as const, line })), ...midB.map((line) => ({ kind: "+" as const, line }))];
  // Position i of the whole script: head context, the middle, tail context.
  const total = head + middle.length + tail;
  const opAt = (i: number): Op => (i < head ? { kind: " ", line: a[i]! } : i < head + middle.length ? middle[i - head]! : { kind: " ", line: a[a.length - (total - i)]! });
  // Old and new line numbers before each op of the middle; context lines count one of each.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = head;
  let w = head;
  for (const op of middle) {
    oldAt.push(o);
    newAt.push(w);
    if (op.kind !== "+") o++;
    if (op.kind !== "-") w++;
  }
  const lineNumbers = (i: number): [number, number] => {
    if (i < head) return [i, i];
    if (i < head + middle.length) return [oldAt[i - head]!, newAt[i - head]!];
    return [a.length - (total - i), b.length - (total - i)];
  };
  const changed = middle.flatMap((op, i) => (op.kind === " " ? [] : [head + i]));
  let out = `--- ${before === undefined ? "/dev/null" : name}\n+++ ${name}\n`;
  for (let c = 0; c < changed.length; ) {
    const start = Math.max(0, changed[c]! - CONTEXT);
    let last = changed[c]!;
    while (c + 1 < changed.length && changed[c + 1]! - last <= 2 * CONTEXT) last = changed[++c]!;
    c++;
    const end = Math.min(total, last + CONTEXT + 1);
    let oldLen = 0;
    let newLen = 0;
    let body = "";
    for (let i = start; i < end; i++) {
      const op = opAt(i);
      if (op.kind !== "+") oldLen++;
      if (op.kind !== "-") newLen++;
      body += show(op.kind, op.line);
    }
    const [o0, n0] = lineNumbers(start);
    const range = (at: number, len: number) => `${len === 0 ? at : at + 1},${len}`;
    out += `@@ -${range(o0, oldLen)} +${range(n0, newLen)} @@\n${body}`;
  }
  let added = 0;
  let removed = 0;
  for (const op of middle) {
    if (op.kind === "+") added++;
    else if (op.kind === "-") removed++;
  }
  return { text: out, added, removed };
}
