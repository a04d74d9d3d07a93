// Round trips through compressImage → readImage: integers of every width come back identical,
// quantized floats within half a quantization step, lossless float GZIP bit-exact; and the RICE
// codec on its own against edge values (wraparound, long zero runs, high-entropy blocks).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type CompressOptions,
  compressImage,
  FitsError,
  Header,
  type ImageArray,
  openFits,
  riceDecode,
  riceEncode,
} from '../../src/fits/index.ts';
import { firstDifference, fitsWith, toNumbers } from './compress-helpers.ts';

type IntKind = 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i8';
const INT_TYPES: CompressOptions['type'][] = ['RICE_1', 'GZIP_1', 'GZIP_2', 'NOCOMPRESS'];

function makeInts(kind: IntKind, values: number[]): ImageArray {
  switch (kind) {
    case 'u8':
      return Uint8Array.from(values, (v) => v & 0xff);
    case 'i8':
      return Int8Array.from(values, (v) => (v << 24) >> 24);
    case 'i16':
      return Int16Array.from(values, (v) => (v << 16) >> 16);
    case 'u16':
      return Uint16Array.from(values, (v) => v & 0xffff);
    case 'i32':
      return Int32Array.from(values, (v) => v | 0);
    case 'u32':
      return Uint32Array.from(values, (v) => v >>> 0);
  }
}

function roundTrip(data: ImageArray, naxes: number[], options: CompressOptions) {
  const hdu = compressImage({ data, naxes }, options);
  using f = openFits(fitsWith([hdu]));
  return { hdu, image: f.hdu(1).readImage() };
}

/** Image geometry: 1–3 axes of 1–40 pixels, and a tile shape no larger than the image. */
const geometry = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }).chain((naxes) =>
  fc.record({
    naxes: fc.constant(naxes),
    tile: fc.oneof(fc.constant(undefined), fc.tuple(...naxes.map((n) => fc.integer({ min: 1, max: n })))),
  }),
);

/** Pixel values mixing smooth data, noise and extremes, so every RICE branch is exercised. */
const pixel = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -20, max: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -1, 1, 127, 128, 255, 32767, -32768, 65535, 2 ** 31 - 1, -(2 ** 31)),
  },
);

describe('integer images round-trip exactly', () => {
  for (const kind of ['u8', 'i8', 'i16', 'u16', 'i32', 'u32'] as IntKind[]) {
    for (const type of INT_TYPES) {
      test(`${kind} through ${type}`, () => {
        fc.assert(
          fc.property(
            geometry,
            fc.array(pixel, { minLength: 1, maxLength: 64000, size: 'medium' }),
            ({ naxes, tile }, seedValues) => {
              const n = naxes.reduce((a, b) => a * b, 1);
              const values = Array.from({ length: n }, (_, i) => seedValues[i % seedValues.length] + (i % 7));
              const data = makeInts(kind, values);
              const { image } = roundTrip(data, naxes, { type, tile });
              assert.equal(image.data.constructor, data.constructor, 'same array type back');
              assert.deepEqual(image.naxes, naxes);
              assert.equal(firstDifference(toNumbers(image.data), toNumbers(data)), -1);
            },
          ),
          { numRuns: 25 },
        );
      });
    }
  }
});

describe('floats', () => {
  const floatData = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
    minLength: 1,
    maxLength: 4000,
    size: 'medium',
  });

  for (const dither of ['NO_DITHER', 'SUBTRACTIVE_DITHER_1', 'SUBTRACTIVE_DITHER_2'] as const) {
    for (const type of ['RICE_1', 'GZIP_1', 'GZIP_2'] as const) {
      test(`quantized ${dither} through ${type} come back within half a step`, () => {
        fc.assert(
          fc.property(
            geometry,
            floatData,
            fc.boolean(),
            fc.integer({ min: 1, max: 10000 }),
            fc.constantFrom(4, 16, -0.5),
            ({ naxes, tile }, base, wide, seed, q) => {
              const n = naxes.reduce((a, b) => a * b, 1);
              const values = Array.from({ length: n }, (_, i) => base[i % base.length] + Math.sin(i) * 3);
              if (n > 3) values[2] = Number.NaN;
              if (dither === 'SUBTRACTIVE_DITHER_2' && n > 4) values[3] = 0;
              const data = wide ? Float64Array.from(values) : Float32Array.from(values);
              const { hdu, image } = roundTrip(data, naxes, { type, tile, quantize: q, dither, seed });
              const steps = tileScales(
                hdu.data,
                hdu.header.integer('NAXIS1'),
                hdu.header.integer('NAXIS2'),
                hdu,
              );
              const maxStep = Math.max(0, ...steps);
              const back = toNumbers(image.data);
              for (let i = 0; i < n; i++) {
                const want = data[i];
                if (Number.isNaN(want)) {
                  assert.ok(Number.isNaN(back[i]), `pixel ${i}: NaN should stay NaN`);
                  continue;
                }
                if (dither === 'SUBTRACTIVE_DITHER_2' && want === 0)
                  assert.ok(back[i] === 0, 'exact zero kept (either sign)');
                // Half a step, plus float32 rounding of the result.
                const tol = maxStep / 2 + (wide ? 0 : Math.abs(want) * 2 ** -23) + 1e-9 * Math.abs(want);
                assert.ok(
                  Math.abs(back[i] - want) <= tol,
                  `pixel ${i}: ${back[i]} vs ${want} (step ${maxStep})`,
                );
              }
            },
          ),
          { numRuns: 20 },
        );
      });
    }
  }

  for (const type of ['GZIP_1', 'GZIP_2', 'NOCOMPRESS'] as const) {
    test(`lossless (quantize 0) ${type} is bit-exact, NaN and ±Inf included`, () => {
      fc.assert(
        fc.property(
          geometry,
          fc.array(fc.double(), { minLength: 1, maxLength: 3000 }),
          fc.boolean(),
          ({ naxes, tile }, base, wide) => {
            const n = naxes.reduce((a, b) => a * b, 1);
            const data = wide
              ? Float64Array.from({ length: n }, (_, i) => base[i % base.length])
              : Float32Array.from({ length: n }, (_, i) => base[i % base.length]);
            const { image } = roundTrip(data, naxes, { type, tile, quantize: 0 });
            assert.equal(image.data.constructor, data.constructor);
            assert.deepEqual(
              new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength),
              new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
            );
          },
        ),
        { numRuns: 25 },
      );
    });
  }

  test('tiles that cannot be quantized (constant, infinite) are stored losslessly', () => {
    const data = new Float32Array(64 * 4).fill(3.25);
    data[64 * 2 + 5] = Number.POSITIVE_INFINITY;
    for (let i = 64 * 3; i < 64 * 4; i++) data[i] = i * 0.37;
    const { hdu, image } = roundTrip(data, [64, 4], { type: 'RICE_1' });
    assert.ok(
      hdu.header.cards.some((c) => c.value === 'GZIP_COMPRESSED_DATA'),
      'has the lossless column',
    );
    for (let i = 0; i < 64 * 3; i++) assert.equal(image.data[i], data[i], `pixel ${i} exact`);
  });

  test('RICE_1 refuses lossless floats and 64-bit integers', () => {
    assert.throws(
      () => compressImage({ data: new Float32Array(4), naxes: [4] }, { type: 'RICE_1', quantize: 0 }),
      FitsError,
    );
    assert.throws(
      () => compressImage({ data: new BigInt64Array(4), naxes: [4] }, { type: 'RICE_1' }),
      FitsError,
    );
  });
});

/** ZSCALE of every tile, read back from the table bytes (column 2 when quantized). */
function tileScales(
  data: Uint8Array,
  rowBytes: number,
  nrows: number,
  hdu: { header: { get(k: string): unknown } },
): number[] {
  const col = [1, 2, 3, 4].find((n) => hdu.header.get(`TTYPE${n}`) === 'ZSCALE');
  if (!col) return [];
  let off = 0;
  for (let n = 1; n < col; n++) off += String(hdu.header.get(`TFORM${n}`)).includes('Q') ? 16 : 8;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: nrows }, (_, r) => view.getFloat64(r * rowBytes + off));
}

describe('RICE_1 codec', () => {
  for (const bytepix of [1, 2, 4]) {
    test(`bytepix ${bytepix}: encode → decode is the identity modulo 2^${8 * bytepix}`, () => {
      const bits = 8 * bytepix;
      fc.assert(
        fc.property(
          fc.array(pixel, { minLength: 1, maxLength: 3000, size: 'large' }),
          fc.integer({ min: 1, max: 64 }),
          (values, blocksize) => {
            const enc = riceEncode(values, blocksize, bytepix);
            const out =
              bytepix === 1
                ? new Uint8Array(values.length)
                : bytepix === 2
                  ? new Int16Array(values.length)
                  : new Int32Array(values.length);
            riceDecode(enc, out, blocksize, bytepix);
            const want = makeInts(bytepix === 1 ? 'u8' : bytepix === 2 ? 'i16' : 'i32', values);
            assert.equal(firstDifference(toNumbers(out), toNumbers(want)), -1, `width ${bits}`);
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  test('a long zero run (one huge outlier in a quiet block) decodes', () => {
    const values = new Array(4096).fill(1000);
    values[100] = -32768;
    values[2000] = 32767;
    const out = new Int16Array(values.length);
    riceDecode(riceEncode(values, 32, 2), out, 32, 2);
    assert.equal(firstDifference(toNumbers(out), values), -1);
  });
});

describe('large images (decoded with the worker pool when the machine has several cores)', () => {
  const NX = 2048;
  const NY = 1100;
  const data = Int16Array.from({ length: NX * NY }, (_, i) =>
    Math.round(800 * Math.sin(i / 1234) + ((i * 7919) % 61)),
  );

  test('RICE_1 and GZIP_2, int16 and uint16, come back identical, threaded and not', () => {
    const unsigned = Uint16Array.from(data, (v) => v + 30000);
    for (const [type, src] of [
      ['RICE_1', data],
      ['GZIP_2', data],
      ['RICE_1', unsigned],
      ['GZIP_1', unsigned],
    ] as const) {
      const file = fitsWith([compressImage({ data: src, naxes: [NX, NY] }, { type })]);
      for (const threads of [undefined, '1']) {
        const saved = process.env.CALDERA_FITS_THREADS;
        if (threads) process.env.CALDERA_FITS_THREADS = threads;
        try {
          using f = openFits(file);
          const img = f.hdu(1).readImage();
          assert.equal(img.data.constructor, src.constructor);
          assert.equal(
            firstDifference(img.data as Int16Array, src),
            -1,
            `${type} threads=${threads ?? 'auto'}`,
          );
        } finally {
          if (threads) process.env.CALDERA_FITS_THREADS = saved;
        }
      }
    }
  });

  test('a corrupt tile in a large image is a FitsError naming the tile', () => {
    const hdu = compressImage({ data, naxes: [NX, NY] }, { type: 'RICE_1' });
    const file = fitsWith([hdu]);
    const dataStart = file.length - Math.ceil(hdu.data.length / 2880) * 2880;
    // Row 900's descriptor: claim half its length.
    const view = new DataView(file.buffer);
    const at = dataStart + 900 * hdu.header.integer('NAXIS1');
    view.setUint32(at, Math.floor(view.getUint32(at) / 2));
    using f = openFits(file, { name: 'big.fits.fz' });
    assert.throws(() => f.hdu(1).readImage(), /big\.fits\.fz, HDU 1: tile 901 of 1100/);
  });
});

describe('fallback columns', () => {
  test('a tile stored in UNCOMPRESSED_DATA (1PE) next to a compressed one is read', () => {
    // Two one-row tiles of a 4 × 2 float image: row 1 quantized in COMPRESSED_DATA is left empty
    // and its values put in UNCOMPRESSED_DATA; row 2 stays as compressImage wrote it.
    const values = Float32Array.from([1.5, -2.25, 3, 1e30, 7, 8, 9, 10]);
    const { header, data } = compressImage({ data: values, naxes: [4, 2] }, { type: 'GZIP_1', quantize: 0 });
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const heap = data.subarray(16);
    const [len1, off1] = [view.getUint32(0), view.getUint32(4)];
    const [len2, off2] = [view.getUint32(8), view.getUint32(12)];
    const raw = new Uint8Array(16);
    const rv = new DataView(raw.buffer);
    for (let i = 0; i < 4; i++) rv.setFloat32(i * 4, values[i]);
    // New table: rows of two descriptors (COMPRESSED_DATA, UNCOMPRESSED_DATA), heap = row-2 bytes + raw.
    const out = new Uint8Array(32 + len2 + 16);
    const ov = new DataView(out.buffer);
    ov.setUint32(0, 0);
    ov.setUint32(4, 0);
    ov.setUint32(8, 4);
    ov.setUint32(12, len2);
    ov.setUint32(16, len2);
    ov.setUint32(20, 0);
    ov.setUint32(24, 0);
    ov.setUint32(28, 0);
    out.set(heap.subarray(off2, off2 + len2), 32);
    out.set(raw, 32 + len2);
    assert.ok(len1 > 0 && off1 === 0);
    const h = new Header([...header.cards]);
    h.set('NAXIS1', 16)
      .set('PCOUNT', len2 + 16)
      .set('TFIELDS', 2);
    h.insertAfter('TFORM1', 'TTYPE2', 'UNCOMPRESSED_DATA');
    h.insertAfter('TTYPE2', 'TFORM2', '1PE(4)');
    using f = openFits(fitsWith([{ header: h, data: out }]));
    const img = f.hdu(1).readImage();
    assert.deepEqual(Array.from(img.data as Float32Array), Array.from(values));
  });
});

describe('integer ZBLANK', () => {
  test('pixels equal to ZBLANK (keyword) are undefined: NaN in the physical image', () => {
    const data = Int16Array.from([5, -999, 7, 8, -999, 10]);
    const { header, data: bytes } = compressImage({ data, naxes: [3, 2] }, { type: 'RICE_1' });
    const h = new Header([...header.cards]);
    h.set('ZBLANK', -999);
    using f = openFits(fitsWith([{ header: h, data: bytes }]));
    const img = f.hdu(1).readImage();
    assert.deepEqual(Array.from(img.data as Float32Array), [5, Number.NaN, 7, 8, Number.NaN, 10]);
    assert.deepEqual(
      Array.from(f.hdu(1).readImage({ type: 'raw' }).data as Int16Array),
      [5, -999, 7, 8, -999, 10],
    );
  });
});
