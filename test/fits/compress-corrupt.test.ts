// Corrupted compressed images: flipped bytes, truncated heaps, bad descriptors and keywords must
// end in a FitsError naming the file, HDU and tile (or in wrong-but-finite pixels) — never another
// exception, a hang or an out-of-bounds crash. Each read is timed against a one-second budget.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type CompressOptions,
  compressImage,
  FitsError,
  Header,
  type ImageArray,
  openFits,
  readCompressedSection,
} from '../../src/fits/index.ts';
import { sharedPath, skipUnlessShared } from '../helpers/shared-data.ts';
import { fitsWith } from './compress-helpers.ts';

const NX = 96;
const NY = 24;

function image(kind: 'i16' | 'f32' | 'u8'): ImageArray {
  const n = NX * NY;
  if (kind === 'u8') return Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff);
  if (kind === 'i16')
    return Int16Array.from({ length: n }, (_, i) => Math.round(500 * Math.sin(i / 9) + (i % 13) * 17));
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i / 5) * 100 + (i % 7) * 0.3);
}

const variants: { name: string; data: ImageArray; options: CompressOptions }[] = [
  { name: 'RICE_1 int16', data: image('i16'), options: { type: 'RICE_1', tile: [32, 8] } },
  { name: 'RICE_1 uint8', data: image('u8'), options: { type: 'RICE_1' } },
  { name: 'RICE_1 float32 q=4', data: image('f32'), options: { type: 'RICE_1' } },
  { name: 'GZIP_1 int16', data: image('i16'), options: { type: 'GZIP_1' } },
  {
    name: 'GZIP_2 float32 lossless',
    data: image('f32'),
    options: { type: 'GZIP_2', quantize: 0, tile: [48, 12] },
  },
  { name: 'NOCOMPRESS int16', data: image('i16'), options: { type: 'NOCOMPRESS' } },
];

/** Reads the image whole and by a section; only FitsError may escape; must finish within 1 s. */
function readBoth(
  bytes: Uint8Array,
  section: [number[], number[]] = [
    [5, 3],
    [70, 20],
  ],
): void {
  const t0 = performance.now();
  try {
    using f = openFits(bytes, { name: 'corrupt.fits.fz' });
    const hdu = f.hdu(1);
    try {
      hdu.readImage();
    } catch (err) {
      checkError(err);
    }
    try {
      readCompressedSection(hdu, section[0], section[1]);
    } catch (err) {
      checkError(err);
    }
  } catch (err) {
    checkError(err);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `read took ${ms.toFixed(0)} ms`);
}

function checkError(err: unknown): void {
  if (!(err instanceof FitsError)) throw err;
  assert.match(err.message, /corrupt\.fits\.fz/, 'the message names the file');
}

describe('corrupted compressed data fail cleanly', () => {
  for (const v of variants) {
    const hdu = compressImage({ data: v.data, naxes: [NX, NY] }, v.options);
    const file = fitsWith([hdu]);
    const dataStart = file.length - Math.ceil(hdu.data.length / 2880) * 2880;
    const heapStart = dataStart + hdu.header.integer('NAXIS1') * hdu.header.integer('NAXIS2');
    const heapEnd = dataStart + hdu.data.length;

    test(`${v.name}: flipped heap bytes`, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(fc.integer({ min: heapStart, max: heapEnd - 1 }), fc.integer({ min: 1, max: 255 })),
            {
              minLength: 1,
              maxLength: 8,
            },
          ),
          (flips) => {
            const bytes = file.slice();
            for (const [at, x] of flips) bytes[at] ^= x;
            readBoth(bytes);
          },
        ),
        { numRuns: 150 },
      );
    });

    test(`${v.name}: flipped descriptor and scale bytes`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: dataStart, max: heapStart - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (at, x) => {
            const bytes = file.slice();
            bytes[at] ^= x;
            readBoth(bytes);
          },
        ),
        { numRuns: 150 },
      );
    });

    test(`${v.name}: zeroed second half of the heap`, () => {
      const bytes = file.slice();
      bytes.fill(0, heapStart + Math.floor((heapEnd - heapStart) / 2), heapEnd);
      readBoth(bytes);
    });

    test(`${v.name}: truncated tiles are reported with their number`, () => {
      // Halve every variable-length descriptor's count, as if each tile had been cut short.
      const bytes = file.slice();
      const view = new DataView(bytes.buffer);
      const rowBytes = hdu.header.integer('NAXIS1');
      const vlaOffsets: number[] = [];
      for (let n = 1, off = 0; n <= hdu.header.integer('TFIELDS'); n++) {
        const form = hdu.header.string(`TFORM${n}`);
        if (form.includes('P')) vlaOffsets.push(off);
        off += 8; // our columns are all 8 bytes: P descriptors or 1D
      }
      for (let r = 0; r < hdu.header.integer('NAXIS2'); r++) {
        for (const off of vlaOffsets) {
          const at = dataStart + r * rowBytes + off;
          view.setUint32(at, Math.floor(view.getUint32(at) / 2));
        }
      }
      readBoth(bytes);
      using f = openFits(bytes, { name: 'corrupt.fits.fz' });
      assert.throws(
        () => f.hdu(1).readImage(),
        (err: unknown) => {
          assert.ok(err instanceof FitsError);
          assert.match(err.message, /corrupt\.fits\.fz, HDU 1: tile \d+ of \d+/);
          return true;
        },
      );
    });

    test(`${v.name}: file cut short`, () => {
      for (const cut of [heapStart + 1, Math.floor((heapStart + heapEnd) / 2), heapEnd - 1])
        readBoth(file.slice(0, cut));
    });
  }
});

describe('bad compression keywords fail cleanly', () => {
  const base = compressImage({ data: image('i16'), naxes: [NX, NY] }, { type: 'RICE_1' });
  const edits: [string, (h: Header) => void][] = [
    ['unknown ZCMPTYPE', (h) => h.set('ZCMPTYPE', 'LZW_9')],
    ['ZBITPIX 12', (h) => h.set('ZBITPIX', 12)],
    ['ZNAXIS1 too large', (h) => h.set('ZNAXIS1', NX * 1000)],
    ['ZNAXIS2 too large (more tiles than rows)', (h) => h.set('ZNAXIS2', NY + 5)],
    ['ZTILE1 = 0', (h) => h.set('ZTILE1', 0)],
    ['BYTEPIX 3', (h) => h.set('ZVAL2', 3)],
    ['BLOCKSIZE 0', (h) => h.set('ZVAL1', 0)],
    ['no COMPRESSED_DATA column', (h) => h.set('TTYPE1', 'SOMETHING_ELSE')],
    ['COMPRESSED_DATA not a VLA', (h) => h.set('TFORM1', '8B')],
    ['ZQUANTIZ unknown', (h) => h.set('ZBITPIX', -32).set('ZQUANTIZ', 'ROUND_UP')],
  ];
  for (const [name, edit] of edits) {
    test(name, () => {
      const header = new Header([...base.header.cards]);
      edit(header);
      readBoth(fitsWith([{ header, data: base.data }]));
    });
  }
});

describe('corrupted real HCOMPRESS_1, PLIO_1 and GZIP_1 files fail cleanly', () => {
  const files = [
    ['real', 'astropy_m13_hcomp.fits'],
    ['unlabeled', 'astropy_m13_plio.fits'],
    ['real', 'astropy_m13_gzip.fits'],
  ];
  for (const [dir, name] of files) {
    const path = sharedPath('fits', dir, name);
    test(name, { skip: path ? false : skipUnlessShared('fits', dir, name) }, () => {
      const file = new Uint8Array(readFileSync(path as string));
      const hdu = openFits(file).hdu(1);
      const heapStart = hdu.datLoc + hdu.header.integer('NAXIS1') * hdu.header.integer('NAXIS2');
      const heapEnd = hdu.datLoc + hdu.dataSize;
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(fc.integer({ min: heapStart, max: heapEnd - 1 }), fc.integer({ min: 1, max: 255 })),
            {
              minLength: 1,
              maxLength: 4,
            },
          ),
          (flips) => {
            const bytes = file.slice();
            for (const [at, x] of flips) bytes[at] ^= x;
            readBoth(bytes, [
              [10, 20],
              [200, 290],
            ]);
          },
        ),
        { numRuns: 60 },
      );
      // Cut the heap short (the descriptors then point past the end of the data unit).
      readBoth(file.slice(0, heapStart + Math.floor((heapEnd - heapStart) / 3)), [
        [10, 20],
        [200, 290],
      ]);
    });
  }
});
