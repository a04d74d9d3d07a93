// One-line descriptions of HDUs (fitsinfo) and image statistics (fits stats).
import type { Hdu } from './hdu.ts';
import { readScaling, unsignedKind } from './image.ts';

export interface HduSummary {
  index: number;
  name: string;
  ver: number;
  type: string;
  cards: number;
  /** numpy order, as astropy prints it. */
  shape: number[];
  dimensions: string;
  bitpix: number;
  format: string;
  rows?: number;
  columns?: number;
}

const DTYPE: Record<number, string> = {
  8: 'uint8',
  16: 'int16',
  32: 'int32',
  64: 'int64',
  [-32]: 'float32',
  [-64]: 'float64',
};

export function summarizeHdu(hdu: Hdu): HduSummary {
  const { kind, naxes, bitpix } = hdu.layout;
  const base = {
    index: hdu.index,
    name: hdu.name,
    ver: hdu.ver,
    type: kind,
    cards: hdu.header.cards.length,
    bitpix,
  };
  if (kind === 'BINTABLE' || kind === 'TABLE') {
    const rows = naxes[1] ?? 0;
    const columns = hdu.header.integer('TFIELDS', 0);
    const forms = Array.from({ length: columns }, (_, i) =>
      String(hdu.header.get(`TFORM${i + 1}`) ?? '').trim(),
    );
    return {
      ...base,
      shape: [rows],
      dimensions: `${rows}R x ${columns}C`,
      format: `[${forms.join(', ')}]`,
      rows,
      columns,
    };
  }
  if (kind === 'COMPRESSED_IMAGE') {
    const z: number[] = [];
    for (let i = 1; hdu.header.has(`ZNAXIS${i}`); i++) z.push(hdu.header.integer(`ZNAXIS${i}`));
    const zbitpix = hdu.header.integer('ZBITPIX', bitpix);
    const shape = z.reverse();
    return {
      ...base,
      bitpix: zbitpix,
      shape,
      dimensions: `(${shape.join(', ')})`,
      format: `${DTYPE[zbitpix]} (${hdu.header.get('ZCMPTYPE')})`,
    };
  }
  const shape = hdu.isConstantImage ? constantShape(hdu) : [...naxes].reverse();
  return { ...base, shape, dimensions: `(${shape.join(', ')})`, format: imageFormat(hdu) };
}

function constantShape(hdu: Hdu): number[] {
  const n: number[] = [];
  for (let i = 1; hdu.header.has(`NPIX${i}`); i++) n.push(hdu.header.integer(`NPIX${i}`));
  return n.reverse();
}

function imageFormat(hdu: Hdu): string {
  const { bitpix, naxes } = hdu.layout;
  if (naxes.length === 0 && !hdu.isConstantImage) return '';
  const s = readScaling((k) => hdu.header.get(k));
  const u = unsignedKind(bitpix, s);
  if (u) return `${DTYPE[bitpix]} (rescales to ${u === 'i8' ? 'int8' : `uint${bitpix}`})`;
  if (s.bscale !== 1 || s.bzero !== 0)
    return `${DTYPE[bitpix]} (rescales to float${bitpix === 8 || bitpix === 16 || bitpix === -32 ? 32 : 64})`;
  return `${DTYPE[bitpix]}${hdu.isConstantImage ? ` (constant ${hdu.header.get('PIXVALUE')})` : ''}`;
}

export interface ImageStats {
  shape: number[];
  min: number;
  max: number;
  mean: number;
  sum: number;
  n_nan: number;
  count: number;
}

/** Statistics of physical values (float64), NaN excluded; one pass. */
export function imageStats(hdu: Hdu): ImageStats {
  const img = hdu.readImage({ type: 'float64' });
  const a = img.data as Float64Array;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let nNaN = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (Number.isNaN(v)) {
      nNaN++;
      continue;
    }
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = a.length - nNaN;
  return {
    shape: img.shape,
    min: n ? min : Number.NaN,
    max: n ? max : Number.NaN,
    mean: n ? sum / n : Number.NaN,
    sum,
    n_nan: nNaN,
    count: a.length,
  };
}
