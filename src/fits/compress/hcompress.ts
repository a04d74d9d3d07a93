// HCOMPRESS_1 decoding (R. White's H-transform coder, as the FITS tiled-image convention
// specifies): quadtree-coded bit planes of the H-transform coefficients, sign bits, then the
// inverse transform (optionally smoothed). Arithmetic is done in doubles, exact for the 64-bit
// integer range the format can carry in practice (|values| < 2^53), so one path serves every BITPIX.
import { FitsError } from '../errors.ts';

class BitReader {
  private pos: number;
  private buffer = 0;
  private bits = 0;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, pos: number) {
    this.bytes = bytes;
    this.pos = pos;
  }

  private next(): number {
    if (this.pos >= this.bytes.length)
      throw new FitsError('HCOMPRESS_1 tile ends inside its bit stream (truncated or corrupt)');
    return this.bytes[this.pos++];
  }

  restart(): void {
    this.bits = 0;
  }

  bit(): number {
    if (this.bits === 0) {
      this.buffer = this.next();
      this.bits = 8;
    }
    this.bits--;
    return (this.buffer >> this.bits) & 1;
  }

  nbits(n: number): number {
    if (this.bits < n) {
      this.buffer = ((this.buffer << 8) | this.next()) & 0xffff;
      this.bits += 8;
    }
    this.bits -= n;
    return (this.buffer >> this.bits) & ((1 << n) - 1);
  }

  /** The fixed Huffman code of 4-bit quadtree values. */
  huffman(): number {
    let c = this.nbits(3);
    if (c < 4) return 1 << c;
    c = this.bit() | (c << 1);
    if (c < 13) return HUFF4[c - 8];
    c = this.bit() | (c << 1);
    if (c < 31) return HUFF5[c - 26];
    c = this.bit() | (c << 1);
    return c === 62 ? 0 : 14;
  }
}

const HUFF4 = [3, 5, 10, 12, 15];
const HUFF5 = [6, 7, 9, 11, 13];

function readInt(b: Uint8Array, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3] | 0;
}

/**
 * Decodes one tile of `width` × `height` pixels (width = fastest axis). Returns the pixel values
 * in a Float64Array (integers), which callers narrow to the image type.
 */
export function hdecompress(
  input: Uint8Array,
  width: number,
  height: number,
  scaleParam: number,
  smooth: boolean,
): Float64Array {
  if (input.length < 25) throw new FitsError(`HCOMPRESS_1 tile of ${input.length} bytes is too short`);
  if (input[0] !== 0xdd || input[1] !== 0x99)
    throw new FitsError('HCOMPRESS_1 tile does not start with the magic code DD 99');
  const nx = readInt(input, 2);
  const ny = readInt(input, 6);
  const scale = readInt(input, 10);
  if (nx * ny !== width * height || ny <= 0 || nx <= 0) {
    throw new FitsError(`HCOMPRESS_1 tile says ${ny} × ${nx} pixels, expected ${width} × ${height}`);
  }
  let sumall = 0;
  for (let i = 0; i < 8; i++) sumall = sumall * 256 + input[14 + i];
  if (input[14] & 0x80) sumall -= 2 ** 64;
  const planes = [input[22], input[23], input[24]];
  const a = new Float64Array(nx * ny);
  const r = new BitReader(input, 25);
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  qtreeDecode(r, a, 0, ny, nx2, ny2, planes[0]);
  qtreeDecode(r, a, ny2, ny, nx2, ny >> 1, planes[1]);
  qtreeDecode(r, a, ny * nx2, ny, nx >> 1, ny2, planes[1]);
  qtreeDecode(r, a, ny * nx2 + ny2, ny, nx >> 1, ny >> 1, planes[2]);
  if (r.nbits(4) !== 0) throw new FitsError('HCOMPRESS_1 bit planes do not end with the end code (corrupt)');
  r.restart();
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && r.bit()) a[i] = -a[i];
  a[0] = sumall;
  if (scale > 1) for (let i = 0; i < a.length; i++) a[i] *= scale;
  hinv(a, nx, ny, smooth, scale > 0 ? scale : scaleParam);
  return a;
}

function log2ceil(n: number): number {
  let l = 0;
  while (1 << l < n) l++;
  return l;
}

/** Decodes the bit planes of one quadrant (nqx rows × nqy columns at offset `off`, row length n). */
function qtreeDecode(
  r: BitReader,
  a: Float64Array,
  off: number,
  n: number,
  nqx: number,
  nqy: number,
  nbitplanes: number,
): void {
  const log2n = log2ceil(Math.max(nqx, nqy));
  const scratch = new Uint8Array(Math.max(1, ((nqx + 1) >> 1) * ((nqy + 1) >> 1)));
  for (let bit = nbitplanes - 1; bit >= 0; bit--) {
    const b = r.nbits(4);
    if (b === 0) {
      const count = ((nqx + 1) >> 1) * ((nqy + 1) >> 1);
      for (let i = 0; i < count; i++) scratch[i] = r.nbits(4);
    } else if (b !== 0xf) {
      throw new FitsError(`HCOMPRESS_1 bit plane has format code ${b} (corrupt)`);
    } else {
      scratch[0] = r.huffman();
      let sx = 1;
      let sy = 1;
      let nfx = nqx;
      let nfy = nqy;
      let c = 1 << log2n;
      for (let k = 1; k < log2n; k++) {
        c >>= 1;
        sx <<= 1;
        sy <<= 1;
        if (nfx <= c) sx -= 1;
        else nfx -= c;
        if (nfy <= c) sy -= 1;
        else nfy -= c;
        qtreeExpand(r, scratch, sx, sy);
      }
    }
    bitInsert(scratch, nqx, nqy, a, off, n, 2 ** bit);
  }
}

/** Expands packed 4-bit codes of a (sx+1)/2 × (sy+1)/2 grid into an sx × sy bit grid, then reads new codes. */
function qtreeExpand(r: BitReader, b: Uint8Array, sx: number, sy: number): void {
  const sx2 = (sx + 1) >> 1;
  const sy2 = (sy + 1) >> 1;
  // Walk backwards so the packed source is not overwritten before it is read.
  for (let i = sx2 - 1; i >= 0; i--) {
    for (let j = sy2 - 1; j >= 0; j--) {
      const v = b[i * sy2 + j];
      const s00 = 2 * i * sy + 2 * j;
      const right = 2 * j + 1 < sy;
      const down = 2 * i + 1 < sx;
      if (down && right) b[s00 + sy + 1] = v & 1;
      if (down) b[s00 + sy] = (v >> 1) & 1;
      if (right) b[s00 + 1] = (v >> 2) & 1;
      b[s00] = (v >> 3) & 1;
    }
  }
  for (let i = sx * sy - 1; i >= 0; i--) if (b[i]) b[i] = r.huffman();
}

/** ORs bit plane `value` into a[off + row·n + col] from packed 4-bit codes covering nqx × nqy. */
function bitInsert(
  codes: Uint8Array,
  nqx: number,
  nqy: number,
  a: Float64Array,
  off: number,
  n: number,
  value: number,
): void {
  let k = 0;
  for (let i = 0; i < nqx; i += 2) {
    for (let j = 0; j < nqy; j += 2) {
      const v = codes[k++];
      if (v === 0) continue;
      const s00 = off + i * n + j;
      if (v & 8) a[s00] += value;
      if (v & 4 && j + 1 < nqy) a[s00 + 1] += value;
      if (v & 2 && i + 1 < nqx) a[s00 + n] += value;
      if (v & 1 && i + 1 < nqx && j + 1 < nqy) a[s00 + n + 1] += value;
    }
  }
}

const floorDiv = (x: number, d: number): number => Math.floor(x / d);
/** x & -bit (clear the bits below `bit`, two's complement semantics). */
const clearBelow = (x: number, bit: number): number => Math.floor(x / bit) * bit;
/** x & bit for a power of two `bit`. */
const bitOf = (x: number, bit: number): number => (Math.floor(x / bit) & 1) * bit;

/** Inverse H-transform in place (a is nx rows × ny columns). */
function hinv(a: Float64Array, nx: number, ny: number, smooth: boolean, scale: number): void {
  const nmax = Math.max(nx, ny);
  const log2n = log2ceil(nmax);
  const tmp = new Float64Array((nmax + 1) >> 1);
  let shift = 1;
  let bit0 = 2 ** (log2n - 1);
  let bit1 = bit0 * 2;
  const bit2 = bit0 * 4;
  let prnd0 = Math.floor(bit0 / 2);
  let prnd1 = bit1 / 2;
  const prnd2 = bit2 / 2;
  let nrnd0 = prnd0 - 1;
  let nrnd1 = prnd1 - 1;
  const nrnd2 = prnd2 - 1;
  if (log2n === 0) return;
  a[0] = clearBelow(a[0] + (a[0] >= 0 ? prnd2 : nrnd2), bit2);
  let nxtop = 1;
  let nytop = 1;
  let nxf = nx;
  let nyf = ny;
  let c = 1 << log2n;
  for (let k = log2n - 1; k >= 0; k--) {
    c >>= 1;
    nxtop <<= 1;
    nytop <<= 1;
    if (nxf <= c) nxtop -= 1;
    else nxf -= c;
    if (nyf <= c) nytop -= 1;
    else nyf -= c;
    if (k === 0) {
      nrnd0 = 0;
      shift = 2;
    }
    for (let i = 0; i < nxtop; i++) unshuffle(a, ny * i, nytop, 1, tmp);
    for (let j = 0; j < nytop; j++) unshuffle(a, j, nxtop, ny, tmp);
    if (smooth) hsmooth(a, nxtop, nytop, ny, scale);
    const div = 2 ** shift;
    const oddx = nxtop % 2;
    const oddy = nytop % 2;
    let i = 0;
    for (; i < nxtop - oddx; i += 2) {
      let s00 = ny * i;
      let s10 = s00 + ny;
      for (let j = 0; j < nytop - oddy; j += 2) {
        let h0 = a[s00];
        let hx = a[s10];
        let hy = a[s00 + 1];
        let hc = a[s10 + 1];
        hx = clearBelow(hx + (hx >= 0 ? prnd1 : nrnd1), bit1);
        hy = clearBelow(hy + (hy >= 0 ? prnd1 : nrnd1), bit1);
        hc = clearBelow(hc + (hc >= 0 ? prnd0 : nrnd0), bit0);
        const lowbit0 = bitOf(hc, bit0);
        hx = hx >= 0 ? hx - lowbit0 : hx + lowbit0;
        hy = hy >= 0 ? hy - lowbit0 : hy + lowbit0;
        const lowbit1 = ((bitOf(hc, bit1) + bitOf(hx, bit1) + bitOf(hy, bit1)) / bit1) % 2 === 1 ? bit1 : 0;
        h0 = h0 >= 0 ? h0 + lowbit0 - lowbit1 : h0 + (lowbit0 === 0 ? lowbit1 : lowbit0 - lowbit1);
        a[s10 + 1] = floorDiv(h0 + hx + hy + hc, div);
        a[s10] = floorDiv(h0 + hx - hy - hc, div);
        a[s00 + 1] = floorDiv(h0 - hx + hy - hc, div);
        a[s00] = floorDiv(h0 - hx - hy + hc, div);
        s00 += 2;
        s10 += 2;
      }
      if (oddy) {
        let h0 = a[s00];
        let hx = a[s10];
        hx = clearBelow(hx + (hx >= 0 ? prnd1 : nrnd1), bit1);
        const lowbit1 = bitOf(hx, bit1);
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s10] = floorDiv(h0 + hx, div);
        a[s00] = floorDiv(h0 - hx, div);
      }
    }
    if (oddx) {
      let s00 = ny * i;
      for (let j = 0; j < nytop - oddy; j += 2) {
        let h0 = a[s00];
        let hy = a[s00 + 1];
        hy = clearBelow(hy + (hy >= 0 ? prnd1 : nrnd1), bit1);
        const lowbit1 = bitOf(hy, bit1);
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s00 + 1] = floorDiv(h0 + hy, div);
        a[s00] = floorDiv(h0 - hy, div);
        s00 += 2;
      }
      if (oddy) a[s00] = floorDiv(a[s00], div);
    }
    bit1 = bit0;
    bit0 = Math.floor(bit0 / 2);
    prnd1 = prnd0;
    prnd0 = Math.floor(prnd0 / 2);
    nrnd1 = nrnd0;
    nrnd0 = prnd0 - 1;
  }
}

/** Interleaves the two halves of a strided run (first half → even slots, second → odd). */
function unshuffle(a: Float64Array, off: number, n: number, stride: number, tmp: Float64Array): void {
  const nhalf = (n + 1) >> 1;
  for (let i = nhalf, t = 0; i < n; i++, t++) tmp[t] = a[off + i * stride];
  for (let i = nhalf - 1; i >= 0; i--) a[off + 2 * i * stride] = a[off + i * stride];
  for (let i = 1, t = 0; i < n; i += 2, t++) a[off + i * stride] = tmp[t];
}

/** Moves coefficients toward values interpolated from neighbouring zones, within ±scale/2. */
function hsmooth(a: Float64Array, nxtop: number, nytop: number, ny: number, scale: number): void {
  const smax = Math.floor(scale / 2);
  if (smax <= 0) return;
  const ny2 = ny * 2;
  const clamp = (v: number, lo: number, hi: number) => Math.max(Math.min(v, hi), lo);
  const div = (s: number, d: number) => (s >= 0 ? Math.floor(s / d) : Math.floor((s + d - 1) / d));
  for (let i = 2; i < nxtop - 2; i += 2) {
    let s00 = ny * i;
    let s10 = s00 + ny;
    for (let j = 0; j < nytop; j += 2) {
      const hm = a[s00 - ny2];
      const h0 = a[s00];
      const hp = a[s00 + ny2];
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        const diff = clamp(hp - hm, dmin, dmax);
        a[s10] += clamp(div(diff - a[s10] * 8, 8), -smax, smax);
      }
      s00 += 2;
      s10 += 2;
    }
  }
  for (let i = 0; i < nxtop; i += 2) {
    let s00 = ny * i + 2;
    for (let j = 2; j < nytop - 2; j += 2) {
      const hm = a[s00 - 2];
      const h0 = a[s00];
      const hp = a[s00 + 2];
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        const diff = clamp(hp - hm, dmin, dmax);
        a[s00 + 1] += clamp(div(diff - a[s00 + 1] * 8, 8), -smax, smax);
      }
      s00 += 2;
    }
  }
  for (let i = 2; i < nxtop - 2; i += 2) {
    let s00 = ny * i + 2;
    let s10 = s00 + ny;
    for (let j = 2; j < nytop - 2; j += 2) {
      const hmm = a[s00 - ny2 - 2];
      const hpm = a[s00 + ny2 - 2];
      const hmp = a[s00 - ny2 + 2];
      const hpp = a[s00 + ny2 + 2];
      const h0 = a[s00];
      const hx2 = a[s10] * 2;
      const hy2 = a[s00 + 1] * 2;
      let m1 = Math.min(Math.max(hpp - h0, 0) - hx2 - hy2, Math.max(h0 - hpm, 0) + hx2 - hy2);
      let m2 = Math.min(Math.max(h0 - hmp, 0) - hx2 + hy2, Math.max(hmm - h0, 0) + hx2 + hy2);
      const dmax = Math.min(m1, m2) * 16;
      m1 = Math.max(Math.min(hpp - h0, 0) - hx2 - hy2, Math.min(h0 - hpm, 0) + hx2 - hy2);
      m2 = Math.max(Math.min(h0 - hmp, 0) - hx2 + hy2, Math.min(hmm - h0, 0) + hx2 + hy2);
      const dmin = Math.max(m1, m2) * 16;
      if (dmin < dmax) {
        const diff = clamp(hpp + hmm - hmp - hpm, dmin, dmax);
        a[s10 + 1] += clamp(div(diff - a[s10 + 1] * 64, 64), -smax, smax);
      }
      s00 += 2;
      s10 += 2;
    }
  }
}
