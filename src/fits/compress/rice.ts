// RICE_1 (Rice/Golomb coding of pixel differences, as in cfitsio's ricecomp.c), written from the
// FITS tiled-image convention. Values are coded modulo 2^(8·bytepix): a first raw value, then
// blocks of `blocksize` differences, each block led by an `fsbits` split code.
import { FitsError } from '../errors.ts';

/** Integer arrays a RICE tile decodes into (the width sets the modulus). */
export type RiceArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

interface RiceParams {
  fsbits: number;
  fsmax: number;
  bbits: number;
}

function paramsFor(bytepix: number): RiceParams {
  if (bytepix === 1) return { fsbits: 3, fsmax: 6, bbits: 8 };
  if (bytepix === 2) return { fsbits: 4, fsmax: 14, bbits: 16 };
  if (bytepix === 4) return { fsbits: 5, fsmax: 25, bbits: 32 };
  throw new FitsError(`RICE_1 BYTEPIX = ${bytepix} is not 1, 2 or 4`);
}

// Tile bytes are copied into this zero-padded scratch so the hot loop never tests for the end
// of input; running past the real bytes is detected once per block and at the end.
let padded = new Uint8Array(1 << 16);
const PAD = 16;

function padInput(input: Uint8Array): Uint8Array {
  if (padded.length < input.length + PAD)
    padded = new Uint8Array(Math.max(input.length + PAD, padded.length * 2));
  padded.set(input);
  padded.fill(0, input.length, input.length + PAD);
  return padded;
}

/**
 * Decodes `out.length` pixels from `input`. The bit reader keeps up to 32 bits left-aligned in
 * `buf` (`avail` valid). Corrupt input can only fail: every coded pixel consumes at least one
 * bit, zero runs are bounded, and consumption past the end is checked per block and at the end.
 */
export function riceDecode(
  input: Uint8Array,
  out: RiceArray,
  blocksize: number,
  bytepix: number,
  xor16 = 0,
): void {
  if (blocksize <= 0 || !Number.isInteger(blocksize))
    throw new FitsError(`RICE_1 BLOCKSIZE = ${blocksize} is not valid`);
  if (input.length < bytepix)
    throw new FitsError(`RICE_1 tile of ${input.length} bytes is shorter than its first value`);
  if (bytepix === 2 && out instanceof Int16Array) riceDecode16(input, out, blocksize, xor16);
  else {
    riceDecodeAny(input, out, blocksize, bytepix);
    if (xor16) for (let i = 0; i < out.length; i++) out[i] ^= xor16;
  }
}

function overrun(): FitsError {
  return new FitsError('RICE_1 tile ends before all pixels are decoded (truncated or corrupt)');
}

/**
 * The hot path (16-bit images), kept monomorphic: Int16Array output, 4-bit split codes.
 * `xor` (0 or 0x8000) is applied to each stored value, turning BZERO = 32768 data into uint16 bits.
 */
function riceDecode16(input: Uint8Array, out: Int16Array, blocksize: number, xor: number): void {
  const len = input.length;
  const bytes = padInput(input);
  const n = out.length;
  const limit = len + 8;
  let last = (bytes[0] << 8) | bytes[1];
  let pos = 2;
  let buf = 0;
  let avail = 0;
  for (let i = 0; i < n; ) {
    while (avail <= 24) {
      buf |= bytes[pos++] << (24 - avail);
      avail += 8;
    }
    const fs = (buf >>> 28) - 1;
    buf <<= 4;
    avail -= 4;
    const end = Math.min(i + blocksize, n);
    if (fs < 0) {
      for (; i < end; i++) out[i] = last ^ xor;
    } else if (fs === 14) {
      for (; i < end; i++) {
        if (avail < 16) {
          buf |= ((bytes[pos] << 8) | bytes[pos + 1]) << (16 - avail);
          pos += 2;
          avail += 16;
        }
        const diff = buf >>> 16;
        buf <<= 16;
        avail -= 16;
        last = (last + ((diff >>> 1) ^ -(diff & 1))) | 0;
        out[i] = last ^ xor;
      }
    } else {
      // fs ≥ 1 reads its low bits with one shift; fs = 0 has none (shift by 32 is a no-op in JS).
      const sh = 32 - fs;
      const lowMask = fs === 0 ? 0 : -1;
      for (; i < end; i++) {
        let nzero: number;
        if (buf === 0) {
          nzero = avail;
          for (;;) {
            const b = bytes[pos++];
            if (b !== 0) {
              const z = Math.clz32(b) - 24;
              nzero += z;
              buf = z === 7 ? 0 : (b << (25 + z)) | 0;
              avail = 7 - z;
              break;
            }
            if (pos > limit) throw overrun();
            nzero += 8;
          }
        } else {
          nzero = Math.clz32(buf);
          buf = (buf << nzero) << 1;
          avail -= nzero + 1;
        }
        // One 16-bit refill keeps avail ≥ 17 > fs (fs ≤ 13 here).
        if (avail <= 16) {
          buf |= ((bytes[pos] << 8) | bytes[pos + 1]) << (16 - avail);
          pos += 2;
          avail += 16;
        }
        const diff = (nzero << fs) | ((buf >>> sh) & lowMask);
        buf <<= fs;
        avail -= fs;
        last = (last + ((diff >>> 1) ^ -(diff & 1))) | 0;
        out[i] = last ^ xor;
      }
    }
    if (pos > limit) throw overrun();
  }
  if (pos - (avail >> 3) > len) throw overrun();
}

/** Any width (1, 2 or 4 bytes per pixel) into any integer array. */
function riceDecodeAny(input: Uint8Array, out: RiceArray, blocksize: number, bytepix: number): void {
  const { fsbits, fsmax, bbits } = paramsFor(bytepix);
  const len = input.length;
  const bytes = padInput(input);
  const n = out.length;
  const limit = len + 8;
  let last = 0;
  for (let i = 0; i < bytepix; i++) last = (last << 8) | bytes[i];
  let pos = bytepix;
  let buf = 0;
  let avail = 0;
  const fsShift = 32 - fsbits;
  for (let i = 0; i < n; ) {
    while (avail <= 24) {
      buf |= bytes[pos++] << (24 - avail);
      avail += 8;
    }
    const fs = (buf >>> fsShift) - 1;
    buf <<= fsbits;
    avail -= fsbits;
    const end = Math.min(i + blocksize, n);
    if (fs < 0) {
      for (; i < end; i++) out[i] = last;
    } else if (fs === fsmax) {
      for (; i < end; i++) {
        let diff = 0;
        // Raw values of up to 32 bits, read 16 at a time.
        for (let got = 0; got < bbits; got += 16) {
          const take = Math.min(bbits - got, 16);
          while (avail <= 24) {
            buf |= bytes[pos++] << (24 - avail);
            avail += 8;
          }
          diff = ((diff << take) | (buf >>> (32 - take))) >>> 0;
          buf <<= take;
          avail -= take;
        }
        last = (last + ((diff >>> 1) ^ -(diff & 1))) | 0;
        out[i] = last;
      }
    } else if (fs > fsmax) {
      throw new FitsError(`RICE_1 split code ${fs} exceeds ${fsmax} (corrupt tile)`);
    } else {
      for (; i < end; i++) {
        let nzero: number;
        if (buf === 0) {
          nzero = avail;
          for (;;) {
            const b = bytes[pos++];
            if (b !== 0) {
              const z = Math.clz32(b) - 24;
              nzero += z;
              buf = z === 7 ? 0 : (b << (25 + z)) | 0;
              avail = 7 - z;
              break;
            }
            if (pos > limit) throw overrun();
            nzero += 8;
          }
        } else {
          nzero = Math.clz32(buf);
          buf = (buf << nzero) << 1;
          avail -= nzero + 1;
        }
        while (avail <= 24) {
          buf |= bytes[pos++] << (24 - avail);
          avail += 8;
        }
        const diff = ((nzero << fs) | ((buf >>> 1) >>> (31 - fs))) >>> 0;
        buf <<= fs;
        avail -= fs;
        last = (last + ((diff >>> 1) ^ -(diff & 1))) | 0;
        out[i] = last;
      }
    }
    if (pos > limit) throw overrun();
  }
  if (pos - (avail >> 3) > len) throw overrun();
}

/**
 * Encodes integer pixels (taken modulo 2^(8·bytepix)) as a RICE_1 byte stream. The bit writer is
 * inlined: `acc` collects bits, `togo` counts the bits still free in the byte being filled (1..8),
 * and whole bytes are emitted as soon as they are complete.
 */
export function riceEncode(values: ArrayLike<number>, blocksize: number, bytepix: number): Uint8Array {
  const { fsbits, fsmax, bbits } = paramsFor(bytepix);
  const n = values.length;
  let out: Uint8Array = new Uint8Array(n * bytepix + Math.ceil(n / blocksize) * 2 + 64);
  let pos = 0;
  let acc = 0;
  let togo = 8;
  const bitsMask = bbits === 32 ? -1 : (1 << bbits) - 1;
  const signShift = 32 - bbits;
  const first = n > 0 ? values[0] | 0 : 0;
  // The first value, raw, in bbits bits (16 at a time).
  for (let k = Math.max(bbits - 16, 0); ; k -= 16) {
    const nb = Math.min(bbits, 16);
    acc = (acc << nb) | ((first >>> k) & ((1 << nb) - 1));
    togo -= nb;
    while (togo <= 0) {
      out[pos++] = (acc >> -togo) & 0xff;
      togo += 8;
    }
    if (k === 0) break;
  }
  let last = first;
  const diff = new Uint32Array(blocksize);
  for (let i = 0; i < n; i += blocksize) {
    const count = Math.min(blocksize, n - i);
    let sum = 0;
    for (let j = 0; j < count; j++) {
      const v = values[i + j] | 0;
      // Difference wrapped to the pixel width, then zig-zag mapped to an unsigned value.
      const d = ((v - last) << signShift) >> signShift;
      const m = ((d < 0 ? ~(d << 1) : d << 1) & bitsMask) >>> 0;
      diff[j] = m;
      sum += m;
      last = v;
    }
    let dpsum = (sum - Math.floor(count / 2) - 1) / count;
    if (dpsum < 0) dpsum = 0;
    let psum = Math.floor(dpsum) / 2;
    let fs = 0;
    while (psum >= 1) {
      fs++;
      psum /= 2;
    }
    // Worst case for this block's raw or split codes; long unary runs are checked per pixel.
    if (pos + count * (bytepix + 3) + 16 > out.length) out = grow(out, pos + count * (bytepix + 3) + 16);
    const code = fs >= fsmax ? fsmax + 1 : fs === 0 && sum === 0 ? 0 : fs + 1;
    acc = (acc << fsbits) | code;
    togo -= fsbits;
    while (togo <= 0) {
      out[pos++] = (acc >> -togo) & 0xff;
      togo += 8;
    }
    if (code === 0) continue;
    if (code === fsmax + 1) {
      for (let j = 0; j < count; j++) {
        const v = diff[j];
        for (let k = Math.max(bbits - 16, 0); ; k -= 16) {
          const nb = Math.min(bbits, 16);
          acc = (acc << nb) | ((v >>> k) & ((1 << nb) - 1));
          togo -= nb;
          while (togo <= 0) {
            out[pos++] = (acc >> -togo) & 0xff;
            togo += 8;
          }
          if (k === 0) break;
        }
      }
      continue;
    }
    const lowMask = fs >= 32 ? -1 : (1 << fs) - 1;
    for (let j = 0; j < count; j++) {
      const v = diff[j];
      let top = v >>> fs;
      // top zeros then a one.
      if (togo >= top + 1) {
        acc = (acc << (top + 1)) | 1;
        togo -= top + 1;
      } else {
        if (pos + (top >>> 3) + 16 > out.length) out = grow(out, pos + (top >>> 3) + 16);
        acc <<= togo;
        out[pos++] = acc & 0xff;
        for (top -= togo; top >= 8; top -= 8) out[pos++] = 0;
        acc = 1;
        togo = 7 - top;
      }
      // The low fs bits, raw (16 at a time: fs can reach 24 for 32-bit pixels).
      if (fs > 16) {
        acc = (acc << (fs - 16)) | ((v >>> 16) & ((1 << (fs - 16)) - 1));
        togo -= fs - 16;
        while (togo <= 0) {
          out[pos++] = (acc >> -togo) & 0xff;
          togo += 8;
        }
        acc = (acc << 16) | (v & 0xffff);
        togo -= 16;
      } else if (fs > 0) {
        acc = (acc << fs) | (v & lowMask);
        togo -= fs;
      }
      while (togo <= 0) {
        out[pos++] = (acc >> -togo) & 0xff;
        togo += 8;
      }
    }
  }
  if (togo < 8) out[pos++] = (acc << togo) & 0xff;
  return out.slice(0, pos);
}

function grow(buf: Uint8Array, need: number): Uint8Array {
  const next = new Uint8Array(Math.max(need, buf.length * 2));
  next.set(buf);
  return next;
}
