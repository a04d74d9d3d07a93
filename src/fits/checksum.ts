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

  /** The sum so far; a partial final word is zero-padded (as FITS padding would be). */
  digest(): number {
    if (this.carryLength === 0) return this.sum;
    const last = new Uint8Array(4);
    last.set(this.carry.subarray(0, this.carryLength));
    return addSums(this.sum, onesComplementSum(last));
  }
}
