// FITS CHECKSUM/DATASUM (the 32-bit ones' complement sum of big-endian words, encoded as 16
// ASCII characters; Seaman, Pence & Rots). The sum runs over 16-bit lanes of a little-endian
// Uint32 view so a 64 MB data unit is summed in one tight pass without per-word DataView calls.

/** Ones' complement 32-bit sum of big-endian words; length must be a multiple of 4. */
export function onesComplementSum(bytes: Uint8Array): number {
  const n = bytes.length >>> 2;
  let s0 = 0; // bytes 0 and 2 of each word (little-endian view lanes)
  let s1 = 0; // bytes 1 and 3
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let b3 = 0;
  const aligned = bytes.byteOffset % 4 === 0;
  const words = aligned
    ? new Uint32Array(bytes.buffer, bytes.byteOffset, n)
    : new Uint32Array(bytes.slice(0, n * 4).buffer, 0, n);
  // Each 16-bit lane of s0/s1 collects bytes (≤ 255); fold every 256 words before a lane overflows.
  for (let start = 0; start < n; start += 256) {
    const stop = Math.min(n, start + 256);
    for (let i = start; i < stop; i++) {
      const w = words[i];
      s0 += w & 0x00ff00ff;
      s1 += (w >>> 8) & 0x00ff00ff;
    }
    b0 += s0 & 0xffff;
    b2 += s0 >>> 16;
    b1 += s1 & 0xffff;
    b3 += s1 >>> 16;
    s0 = 0;
    s1 = 0;
  }
  // Big-endian halves: hi = b0·256 + b1, lo = b2·256 + b3 (byte 0 is most significant).
  let hi = b0 * 256 + b1;
  let lo = b2 * 256 + b3;
  for (;;) {
    const hc = Math.floor(hi / 65536);
    const lc = Math.floor(lo / 65536);
    if (hc === 0 && lc === 0) break;
    hi = (hi % 65536) + lc;
    lo = (lo % 65536) + hc;
  }
  return hi * 65536 + lo;
}

/** Adds two ones' complement sums (of 4-byte-aligned pieces). */
export function addSums(a: number, b: number): number {
  let s = a + b;
  while (s > 0xffffffff) s = (s % 0x100000000) + Math.floor(s / 0x100000000);
  return s;
}

const EXCLUDE = new Set([0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60]);

/** Encodes a 32-bit value as the 16-character CHECKSUM string; complement=true for CHECKSUM. */
export function encodeChecksum(sum: number, complement = true): string {
  const value = complement ? ~sum >>> 0 : sum >>> 0;
  const asc = new Array<number>(16);
  for (let i = 0; i < 4; i++) {
    const byte = (value >>> (24 - 8 * i)) & 0xff;
    const quotient = Math.floor(byte / 4) + 0x30;
    const ch = [quotient + (byte % 4), quotient, quotient, quotient];
    for (let again = true; again; ) {
      again = false;
      for (let j = 0; j < 4; j += 2) {
        while (EXCLUDE.has(ch[j]) || EXCLUDE.has(ch[j + 1])) {
          ch[j]++;
          ch[j + 1]--;
          again = true;
        }
      }
    }
    for (let j = 0; j < 4; j++) asc[4 * j + i] = ch[j];
  }
  let out = '';
  for (let i = 0; i < 16; i++) out += String.fromCharCode(asc[(i + 15) % 16]);
  return out;
}

/** Folds a non-negative integer (< 2^53) into a 32-bit ones' complement value. */
function foldToWord(x: number): number {
  while (x > 0xffffffff) x = (x % 0x100000000) + Math.floor(x / 0x100000000);
  return x;
}

/** Running ones' complement sum over a byte stream delivered in pieces of any length. */
export class ChecksumAccumulator {
  private sum = 0;
  private carry = new Uint8Array(4);
  private carryLength = 0;

  update(bytes: Uint8Array): void {
    let start = 0;
    if (this.carryLength > 0) {
      while (this.carryLength < 4 && start < bytes.length) this.carry[this.carryLength++] = bytes[start++];
      if (this.carryLength < 4) return;
      this.sum = addSums(this.sum, onesComplementSum(this.carry));
      this.carryLength = 0;
    }
    const whole = start + ((bytes.length - start) & ~3);
    if (whole > start) this.sum = addSums(this.sum, onesComplementSum(bytes.subarray(start, whole)));
    for (let i = whole; i < bytes.length; i++) this.carry[this.carryLength++] = bytes[i];
  }

  /**
   * Adds native-endian values (16/32/64-bit) that will be written big-endian, without swapping
   * them first. In ones' complement arithmetic (mod 2^32 − 1) a 16-bit rotation is a multiply
   * by 2^16, so Σ rot16(w) = rot16(Σ w): 16-bit data are summed as native words and rotated once;
   * 32-bit native words equal the big-endian words; 64-bit ones are the same words, swapped in
   * pairs, which a sum does not see. Returns false (nothing added) when the stream is not at a
   * word boundary or the piece is not whole words; the caller then sums the big-endian bytes.
   */
  addNative(native: Uint8Array, width: number): boolean {
    if (this.carryLength !== 0 || native.length % 4 !== 0 || native.byteOffset % 4 !== 0 || width === 1)
      return false;
    const words = new Uint32Array(native.buffer, native.byteOffset, native.length >>> 2);
    let total = 0;
    let partial = 0;
    // Doubles stay exact below 2^53: fold every 2^20 words (each < 2^32).
    for (let start = 0; start < words.length; start += 1 << 20) {
      const stop = Math.min(words.length, start + (1 << 20));
      partial = 0;
      for (let i = start; i < stop; i++) partial += words[i];
      total = addSums(total, foldToWord(partial));
    }
    if (width === 2) total = ((total << 16) | (total >>> 16)) >>> 0;
    this.sum = addSums(this.sum, total);
    return true;
  }

  /** The sum so far; a partial final word is zero-padded (as FITS padding would be). */
  digest(): number {
    if (this.carryLength === 0) return this.sum;
    const last = new Uint8Array(4);
    last.set(this.carry.subarray(0, this.carryLength));
    return addSums(this.sum, onesComplementSum(last));
  }
}
