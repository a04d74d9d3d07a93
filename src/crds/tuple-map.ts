// An open-addressing hash map from fixed-width tuples of small non-negative integers to values. A
// lookup hashes the tuple and compares it against one contiguous row, so a seen tuple costs about one
// cache miss however many fields it has (a trie costs one per field when tuples rarely share prefixes).

export class TupleMap<V> {
  private readonly width: number;
  private mask: number;
  private keys: Int32Array;
  private values: (V | undefined)[];
  private count = 0;

  constructor(width: number, capacity = 64) {
    this.width = width;
    this.mask = capacity - 1;
    this.keys = new Int32Array(capacity * width);
    this.values = new Array(capacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Slot of `tuple`: where it is, or the empty slot where it would go. */
  private slot(tuple: Int32Array): number {
    const w = this.width;
    let h = 0x811c9dc5;
    for (let i = 0; i < w; i++) h = Math.imul(h ^ tuple[i], 0x01000193);
    // murmur3's finaliser: every input bit reaches the low bits the mask keeps
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    let s = h & this.mask;
    const keys = this.keys;
    for (;;) {
      if (this.values[s] === undefined) return s;
      let i = 0;
      const base = s * w;
      while (i < w && keys[base + i] === tuple[i]) i++;
      if (i === w) return s;
      s = (s + 1) & this.mask;
    }
  }

  get(tuple: Int32Array): V | undefined {
    return this.values[this.slot(tuple)];
  }

  set(tuple: Int32Array, value: V): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const s = this.slot(tuple);
    if (this.values[s] === undefined) this.count++;
    this.keys.set(tuple.subarray(0, this.width), s * this.width);
    this.values[s] = value;
  }

  clear(): void {
    this.count = 0;
    this.mask = 63;
    this.keys = new Int32Array(64 * this.width);
    this.values = new Array(64).fill(undefined);
  }

  private grow(): void {
    const w = this.width;
    const oldKeys = this.keys;
    const oldValues = this.values;
    const capacity = (this.mask + 1) * 2;
    this.mask = capacity - 1;
    this.keys = new Int32Array(capacity * w);
    this.values = new Array(capacity).fill(undefined);
    this.count = 0;
    for (let s = 0; s < oldValues.length; s++) {
      const v = oldValues[s];
      if (v !== undefined) this.set(oldKeys.subarray(s * w, s * w + w), v);
    }
  }
}
