// fpack/funpack for whole files: every image HDU with data becomes a tile-compressed HDU (the
// primary's image moves to extension 1 behind an empty primary, as fpack does); funpack's inverse
// restores plain images, and a compressed former primary becomes the primary again.
import { compressedImageHeader, type CompressOptions } from './compress/index.ts';
import { openFits } from './file.ts';
import type { Hdu } from './hdu.ts';
import type { Header } from './header.ts';
import { type HduSpec, writeFits } from './writer.ts';

export interface PackResult {
  hdus: number;
  compressed: number;
  inputBytes: number;
  outputBytes: number;
}

function compressible(hdu: Hdu): boolean {
  return (hdu.kind === 'PRIMARY' || hdu.kind === 'IMAGE') && !hdu.isConstantImage && hdu.dataSize > 0;
}

/** Strips the structural cards of a primary so its keywords can sit in an empty primary. */
function primaryKeywords(h: Header): Header {
  const out = h.clone();
  for (const k of ['SIMPLE', 'BITPIX', 'NAXIS', 'EXTEND', 'BSCALE', 'BZERO', 'BLANK']) out.delete(k);
  for (let i = 1; out.has(`NAXIS${i}`); i++) out.delete(`NAXIS${i}`);
  return out;
}

export function packFits(input: string, output: string, options: CompressOptions): PackResult {
  const f = openFits(input);
  try {
    const specs: HduSpec[] = [];
    let compressed = 0;
    for (const hdu of f.hdus) {
      if (!compressible(hdu)) {
        specs.push({ kind: 'copy', hdu });
        continue;
      }
      if (hdu.index === 0) specs.push({ kind: 'image', header: primaryKeywords(hdu.header) });
      const img = hdu.readImage({ type: 'raw' });
      specs.push({ kind: 'image', data: img.data, naxes: img.naxes, header: hdu.header, compress: options });
      compressed++;
    }
    writeFits(output, specs);
    return { hdus: f.hdus.length, compressed, inputBytes: f.source.size, outputBytes: openSize(output) };
  } finally {
    f.close();
  }
}

export function unpackFits(input: string, output: string): PackResult {
  const f = openFits(input);
  try {
    const specs: HduSpec[] = [];
    let compressed = 0;
    f.hdus.forEach((hdu, i) => {
      if (hdu.kind !== 'COMPRESSED_IMAGE') {
        specs.push({ kind: 'copy', hdu });
        return;
      }
      const header = compressedImageHeader(hdu);
      const img = hdu.readImage({ type: 'raw' });
      // A compressed former primary (ZSIMPLE) replaces the empty primary fpack left before it.
      if (i === 1 && header.cards[0]?.key === 'SIMPLE' && f.hdus[0].dataSize === 0) specs.shift();
      specs.push({ kind: 'image', data: img.data, naxes: img.naxes, header, raw: true });
      compressed++;
    });
    writeFits(output, specs);
    return { hdus: f.hdus.length, compressed, inputBytes: f.source.size, outputBytes: openSize(output) };
  } finally {
    f.close();
  }
}

function openSize(path: string): number {
  const f = openFits(path);
  const n = f.source.size;
  f.close();
  return n;
}
