// Writing one product file as a pool job: headers cross threads as card images (Header objects
// lose their class in a message) and the pixel arrays by transfer, handed back once written, so
// the products are written in parallel while the main thread keeps them for the previews.
import { type HduSpec, Header, type ImageArray, writeFits } from '../fits/index.ts';

export interface WireHdu {
  cards: string[];
  data?: ImageArray;
  naxes?: number[];
  name?: string;
  ver?: number;
}

export interface WriteJob {
  kind: 'write';
  path: string;
  hdus: WireHdu[];
}

export interface WriteResult {
  written: string;
  /** The HDUs' data arrays, in order, back from the worker. */
  data: (ImageArray | undefined)[];
}

/** Image HDU specs → a message-safe job (the arrays are transferred, see writeTransferables). */
export function writeJob(path: string, hdus: HduSpec[]): WriteJob {
  return {
    kind: 'write',
    path,
    hdus: hdus.map((h) => {
      if (h.kind !== 'image' || !(h.header instanceof Header))
        throw new Error('writeJob takes image HDUs with Header objects');
      return {
        cards: h.header.cards.flatMap((c) => c.images),
        data: h.data,
        naxes: h.naxes,
        name: h.name,
        ver: h.ver,
      };
    }),
  };
}

export function runWrite(job: WriteJob): WriteResult {
  const specs: HduSpec[] = job.hdus.map((h) => ({
    kind: 'image',
    header: Header.fromImages(h.cards),
    data: h.data,
    naxes: h.naxes,
    name: h.name,
    ver: h.ver,
  }));
  // fsync is skipped: products land in a scratch folder that `caldera process` copies out.
  writeFits(job.path, specs, { checksum: true, fsync: false });
  return { written: job.path, data: job.hdus.map((h) => h.data) };
}

export function writeTransferables(r: WriteJob | WriteResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const arrays = 'hdus' in r ? r.hdus.map((h) => h.data) : r.data;
  for (const a of arrays)
    if (a && a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
  return out;
}
