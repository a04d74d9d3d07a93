// Public face of previews: `<base>.jpg` at native resolution and `<base>_thumb.jpg` (128 px longest
// side) for a FITS product, all SCI chips mosaicked in detector layout, stretched like CALDP's
// fitscut call (0.5-99.5 % clip over good pixels, asinh), encoded with sharp.
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OutputInfo, Sharp } from 'sharp';
import { type Hdu, openFits } from '../fits/index.ts';
import { asinhLut, type ClipLimits, clipLimits, type StretchOptions, stretchInto } from './stretch.ts';

export {
  asinhLut,
  type ClipLimits,
  clipLimits,
  percentileSorted,
  type StretchOptions,
  stretchInto,
} from './stretch.ts';

export const THUMB_SIZE = 128;

export interface PreviewChip {
  ccdchip: number;
  nx: number;
  ny: number;
  data: Float32Array;
  /** Data quality; pixels with any `flags` bit set are left out of the clip statistics. */
  dq?: ArrayLike<number>;
  flags?: number;
}

export interface Mosaic {
  width: number;
  height: number;
  /** 8-bit pixels, first row at the top. */
  pixels: Uint8Array;
  limits: ClipLimits;
  /** Chip numbers from top to bottom. */
  chips: number[];
}

export interface PreviewResult {
  source: string;
  jpg: string;
  thumb: string;
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  limits: ClipLimits;
  chips: number[];
}

export class PreviewError extends Error {
  readonly code = 'E_PREVIEW';
  readonly exitCode = 28;
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'PreviewError';
  }
}

/** The science chips of a FITS product with their DQ masks (pixels with any SDQFLAGS bit set). */
export function readChips(path: string): PreviewChip[] {
  const f = openFits(path);
  try {
    let scis = f.hdus.filter((h) => h.name.toUpperCase() === 'SCI' && (h.isImage || h.isConstantImage));
    if (scis.length === 0) scis = f.hdus.filter((h) => h.isImage && h.layout.naxes.length === 2).slice(0, 1);
    if (scis.length === 0) throw new PreviewError(`${basename(path)} has no 2-D image to preview`);
    const sdq = f.hdus[0].header.number('SDQFLAGS', Number.NaN);
    return scis.map((h) => chipOf(f.hdus, h, sdq));
  } finally {
    f.close();
  }
}

function chipOf(hdus: Hdu[], sci: Hdu, primarySdq: number): PreviewChip {
  const img = sci.readImage({ type: 'float32' });
  const [nx, ny] = img.naxes;
  if (img.naxes.length !== 2) throw new PreviewError(`SCI,${sci.ver} is not 2-D`);
  const dqh = hdus.find((h) => h.name.toUpperCase() === 'DQ' && h.ver === sci.ver);
  const dq =
    dqh && !dqh.isConstantImage && dqh.layout.naxes.length === 2
      ? (dqh.readImage({ type: 'raw' }).data as ArrayLike<number>)
      : undefined;
  const flags = sci.header.number('SDQFLAGS', Number.isFinite(primarySdq) ? primarySdq : 0xffff);
  return chipFromArrays(sci.header.number('CCDCHIP', sci.ver), nx, ny, img.data as Float32Array, dq, flags);
}

/**
 * Detector layout for the two-chip CCDs (ACS/WFC, WFC3/UVIS): chip 1 above chip 2, i.e. the
 * higher CCDCHIP at the bottom; x origins aligned at the left. One chip is shown as is.
 */
export function mosaic(chips: PreviewChip[], opts: StretchOptions = {}): Mosaic {
  const order = [...chips].sort((a, b) => a.ccdchip - b.ccdchip);
  const width = Math.max(...order.map((c) => c.nx));
  const height = order.reduce((a, c) => a + c.ny, 0);
  const limits = clipLimits(order, opts);
  const lut = asinhLut(opts.beta);
  const pixels = new Uint8Array(width * height);
  let top = 0;
  for (const c of order) {
    stretchInto(c.data, c.nx, c.ny, pixels, width, 0, top, limits, lut);
    top += c.ny;
  }
  return { width, height, pixels, limits, chips: order.map((c) => c.ccdchip) };
}

async function writeJpeg(img: Sharp, dest: string): Promise<OutputInfo> {
  const tmp = join(dest, '..', `.${basename(dest)}.${process.pid}.tmp`);
  try {
    const info = await img.jpeg({ quality: 85, optimiseCoding: false }).toFile(tmp);
    await rename(tmp, dest);
    return info;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A chip from arrays already in memory (a product just calibrated), flagged where dq & sdqflags. */
export function chipFromArrays(
  ccdchip: number,
  nx: number,
  ny: number,
  sci: Float32Array,
  dq?: ArrayLike<number>,
  sdqflags = 0xffff,
): PreviewChip {
  const chip: PreviewChip = { ccdchip, nx, ny, data: sci };
  // Only the sampled pixels' DQ is ever looked at, so no mask is built.
  if (dq && dq.length === sci.length) {
    chip.dq = dq;
    chip.flags = sdqflags;
  }
  return chip;
}

/** Writes `<outDir>/<base>.jpg` and `<base>_thumb.jpg` from chips (see `mosaic` for the layout). */
export async function previewFromChips(
  chips: PreviewChip[],
  base: string,
  outDir: string,
  source = base,
  opts: StretchOptions = {},
): Promise<PreviewResult> {
  if (chips.length === 0) throw new PreviewError(`${base}: no chips to preview`);
  const m = mosaic(chips, opts);
  // Loaded on first use: libvips costs ~0.1 s to start, which every other CLI command would pay.
  const { default: sharp } = await import('sharp');
  const raw = { raw: { width: m.width, height: m.height, channels: 1 as const } };
  const jpg = join(outDir, `${base}.jpg`);
  const thumb = join(outDir, `${base}_thumb.jpg`);
  const [, t] = await Promise.all([
    writeJpeg(sharp(m.pixels, raw), jpg),
    writeJpeg(
      sharp(m.pixels, raw).resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', kernel: 'lanczos3' }),
      thumb,
    ),
  ]);
  return {
    source,
    jpg,
    thumb,
    width: m.width,
    height: m.height,
    thumbWidth: t.width,
    thumbHeight: t.height,
    limits: m.limits,
    chips: m.chips,
  };
}

/** Writes `<outDir>/<base>.jpg` and `<base>_thumb.jpg` for one FITS product. */
export async function createPreview(
  path: string,
  outDir: string,
  opts: StretchOptions = {},
): Promise<PreviewResult> {
  const base = basename(path).replace(/\.fits(\.gz)?$/i, '');
  let chips: PreviewChip[];
  try {
    chips = readChips(path);
  } catch (e) {
    if (e instanceof PreviewError) throw e;
    throw new PreviewError(`cannot read ${basename(path)} for its preview: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return previewFromChips(chips, base, outDir, path, opts);
}

/**
 * Previews of FITS files on one worker thread, in order. A worker that dies (out of memory)
 * rejects with its own error so the caller can tell it from a preview failure.
 */
export async function createPreviewsInWorker(paths: string[], outDir: string): Promise<PreviewResult[]> {
  if (paths.length === 0) return [];
  const w = new Worker(new URL('./worker.ts', import.meta.url));
  try {
    const out: PreviewResult[] = [];
    for (const path of paths) {
      out.push(
        await new Promise<PreviewResult>((resolve, reject) => {
          const onError = (e: Error) => reject(e);
          w.once('error', onError);
          w.once(
            'message',
            (m: { ok: boolean; result?: PreviewResult; error?: { name: string; message: string } }) => {
              w.off('error', onError);
              if (m.ok) resolve(m.result!);
              else reject(new PreviewError(`${basename(path)}: ${m.error!.message}`));
            },
          );
          w.postMessage({ path, outDir });
        }),
      );
    }
    return out;
  } finally {
    await w.terminate();
  }
}
