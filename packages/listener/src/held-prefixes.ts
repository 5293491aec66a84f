// The prefixes the RIB holds (canonical text → how many routes hold it), and a
// table of their fingerprints the prefilter reads while it walks a line: an
// IPv4 NLRI whose fingerprint is not in the table is not held, found without
// cutting the string out of the line or hashing it for a Map. A full table's
// long UPDATE lines carry hundreds of NLRIs, and the prefilter must look at
// each faster than JSON.parse would.

/** One step of a text's fingerprint (fingerprintOf is the fold of these over its characters). */
export const fingerprintStep = (h: number, charCode: number): number => (Math.imul(h, 31) + charCode) | 0;

export function fingerprintOf(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = fingerprintStep(h, text.charCodeAt(i));
  return h;
}

const SATURATED = 255;

export class HeldPrefixSet {
  private readonly counts = new Map<string, number>();
  /** Fingerprint slot → texts in it (a count that reached 255 stays: false positives only). */
  private table = new Uint8Array(1 << 12);

  get size(): number {
    return this.counts.size;
  }

  has(text: string): boolean {
    return this.counts.has(text);
  }

  /** False: no held text has this fingerprint. True: one may. */
  mayHold(fingerprint: number): boolean {
    return this.table[fingerprintSlot(fingerprint, this.table.length)] !== 0;
  }

  /** Slot fingerprintSlot(fp, length) counts the held texts with fingerprint fp (255: maybe more). Replaced as the set grows. */
  get fingerprints(): Uint8Array {
    return this.table;
  }

  add(text: string): void {
    const n = this.counts.get(text);
    this.counts.set(text, (n ?? 0) + 1);
    if (n !== undefined) return;
    // A quarter full at most: most fingerprints of a full table's prefixes then hit an empty slot.
    if (this.counts.size * 4 > this.table.length) this.rebuild(this.table.length * 4);
    else this.bump(text, 1);
  }

  remove(text: string): void {
    const n = this.counts.get(text);
    if (n === undefined) return;
    if (n > 1) {
      this.counts.set(text, n - 1);
      return;
    }
    this.counts.delete(text);
    this.bump(text, -1);
  }

  private bump(text: string, by: 1 | -1): void {
    const i = fingerprintSlot(fingerprintOf(text), this.table.length);
    const n = this.table[i]!;
    if (n !== SATURATED) this.table[i] = n + by;
  }

  private rebuild(length: number): void {
    this.table = new Uint8Array(length);
    for (const text of this.counts.keys()) this.bump(text, 1);
  }
}

export function fingerprintSlot(fingerprint: number, length: number): number {
  return (fingerprint ^ (fingerprint >>> 15)) & (length - 1);
}
