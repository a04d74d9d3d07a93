// Writes the simulator's reference files in the layouts the pipelines read: images with one
// SCI/ERR/DQ set per chip (CCDCHIP in each header) and binary tables with the real column names.
import { join } from 'node:path';
import {
  type CardValue,
  type ColumnSpec,
  encodeBinTable,
  type HduSpec,
  writeFits,
} from '../../fits/index.ts';
import type { OscnRow } from '../layout.ts';
import type { SimConfig } from './instruments.ts';

export interface RefImagePlane {
  chip: number;
  data: Float32Array;
  nx: number;
  ny: number;
  ltv: [number, number];
  dq?: Uint16Array;
}

type Cards = [string, CardValue, string?][];

function primaryCards(cfg: SimConfig, filetype: string, descrip: string): Cards {
  return [
    ['TELESCOP', 'HST'],
    ['INSTRUME', cfg.instrument],
    ['DETECTOR', cfg.detector],
    ['FILETYPE', filetype],
    ['CCDAMP', cfg.ccdamp],
    ['CCDGAIN', cfg.ccdgain],
    ['USEAFTER', 'Jan 01 2002 00:00:00'],
    ['PEDIGREE', 'DUMMY 01/01/2002 01/01/2002'],
    ['DESCRIP', descrip],
    ['COMMENT', 'Synthetic reference file written by caldera simulate'],
  ];
}

export function writeRefImage(
  dir: string,
  name: string,
  cfg: SimConfig,
  filetype: string,
  bunit: string,
  planes: RefImagePlane[],
): string {
  const hdus: HduSpec[] = [
    { kind: 'image', header: primaryCards(cfg, filetype, `synthetic ${filetype.toLowerCase()}`) },
  ];
  planes.forEach((p, i) => {
    const ver = i + 1;
    const cards: Cards = [
      ['CCDCHIP', p.chip],
      ['BUNIT', bunit],
      ['LTV1', p.ltv[0]],
      ['LTV2', p.ltv[1]],
    ];
    hdus.push({ kind: 'image', header: cards, data: p.data, naxes: [p.nx, p.ny], name: 'SCI', ver });
    // ERR is a constant-zero NAXIS=0 extension (the reference is exact); DQ is written when flagged.
    hdus.push({
      kind: 'image',
      header: [...cards, ['NPIX1', p.nx], ['NPIX2', p.ny], ['PIXVALUE', 0]],
      bitpix: -32,
      name: 'ERR',
      ver,
    });
    if (p.dq)
      hdus.push({
        kind: 'image',
        header: cards,
        data: new Int16Array(p.dq.buffer),
        naxes: [p.nx, p.ny],
        name: 'DQ',
        ver,
      });
    else
      hdus.push({
        kind: 'image',
        header: [...cards, ['NPIX1', p.nx], ['NPIX2', p.ny], ['PIXVALUE', 0]],
        bitpix: 16,
        name: 'DQ',
        ver,
      });
  });
  const path = join(dir, name);
  writeFits(path, hdus, { checksum: true });
  return path;
}

export function writeRefTable(
  dir: string,
  name: string,
  cfg: SimConfig,
  filetype: string,
  tables: { extname?: string; columns: ColumnSpec[] }[],
): string {
  const hdus: HduSpec[] = [
    { kind: 'image', header: primaryCards(cfg, filetype, `synthetic ${filetype.toLowerCase()}`) },
  ];
  for (const t of tables) {
    const enc = encodeBinTable({ columns: t.columns });
    hdus.push({ kind: 'encoded', header: enc.header, data: enc.data, name: t.extname });
  }
  const path = join(dir, name);
  writeFits(path, hdus, { checksum: true });
  return path;
}

const i32 = (v: number[]) => Int32Array.from(v);
const f32 = (v: number[]) => Float32Array.from(v);

/** CCDTAB: one row per chip for the configured gain, plus rows for other gains (never selected). */
export function ccdtabColumns(cfg: SimConfig): ColumnSpec[] {
  const gains = [cfg.ccdgain, cfg.ccdgain * 2, cfg.ccdgain / 2];
  const letters = ['A', 'B', 'C', 'D'];
  const amp = (a: string, g: number, k: 'gain' | 'rn' | 'bias') => {
    const v = cfg.amps[a];
    if (!v) return 0;
    if (k === 'gain') return v.gain * (g / cfg.ccdgain);
    return v[k];
  };
  const cols: ColumnSpec[] = [
    { name: 'CCDAMP', format: '4A', data: gains.map(() => cfg.ccdamp) },
    { name: 'CCDCHIP', format: '1J', data: i32(gains.map(() => -999)) },
    { name: 'CCDGAIN', format: '1E', data: f32(gains) },
    { name: 'BINAXIS1', format: '1J', data: i32(gains.map(() => 1)) },
    { name: 'BINAXIS2', format: '1J', data: i32(gains.map(() => 1)) },
  ];
  for (const a of letters) cols.push({ name: `CCDOFST${a}`, format: '1J', data: i32(gains.map(() => 3)) });
  for (const a of letters)
    cols.push({
      name: `CCDBIAS${a}`,
      format: '1E',
      unit: 'DN',
      data: f32(gains.map((g) => amp(a, g, 'bias'))),
    });
  for (const a of letters)
    cols.push({
      name: `ATODGN${a}`,
      format: '1E',
      unit: 'electrons/DN',
      data: f32(gains.map((g) => amp(a, g, 'gain'))),
    });
  for (const a of letters)
    cols.push({
      name: `READNSE${a}`,
      format: '1E',
      unit: 'electrons',
      data: f32(gains.map((g) => amp(a, g, 'rn'))),
    });
  cols.push({ name: 'ATODSAT', format: '1J', unit: 'DN', data: i32(gains.map(() => 65535)) });
  cols.push({ name: 'SATURATE', format: '1E', unit: 'electrons', data: f32(gains.map(() => cfg.saturate)) });
  cols.push({
    name: 'OVRHFLS',
    format: '1E',
    unit: 's',
    data: f32(gains.map(() => cfg.darkOverhead.flashed)),
  });
  cols.push({
    name: 'OVRHUFLS',
    format: '1E',
    unit: 's',
    data: f32(gains.map(() => cfg.darkOverhead.unflashed)),
  });
  return cols;
}

export function oscntabColumns(rows: OscnRow[]): ColumnSpec[] {
  const keys: (keyof OscnRow)[] = [
    'ccdchip',
    'binx',
    'biny',
    'nx',
    'ny',
    'trimx1',
    'trimx2',
    'trimx3',
    'trimx4',
    'trimy1',
    'trimy2',
    'biassecta1',
    'biassecta2',
    'biassectb1',
    'biassectb2',
    'vx1',
    'vx2',
    'vy1',
    'vy2',
  ];
  return [
    { name: 'CCDAMP', format: '4A', data: rows.map((r) => r.ccdamp) },
    ...keys.map((k) => ({ name: k.toUpperCase(), format: '1J', data: i32(rows.map((r) => r[k] as number)) })),
  ];
}

export interface BpixRow {
  chip: number;
  pix1: number;
  pix2: number;
  length: number;
  axis: number;
  value: number;
}

export function bpixtabColumns(rows: BpixRow[]): ColumnSpec[] {
  return [
    { name: 'CCDCHIP', format: '1J', data: i32(rows.map((r) => r.chip)) },
    { name: 'PIX1', format: '1J', data: i32(rows.map((r) => r.pix1)) },
    { name: 'PIX2', format: '1J', data: i32(rows.map((r) => r.pix2)) },
    { name: 'LENGTH', format: '1J', data: i32(rows.map((r) => r.length)) },
    { name: 'AXIS', format: '1J', data: i32(rows.map((r) => r.axis)) },
    { name: 'VALUE', format: '1J', data: i32(rows.map((r) => r.value)) },
  ];
}

/** CRREJTAB with ACSREJ's usual values: 3 iterations, 2.1 px spill radius. */
export function crrejColumns(): ColumnSpec[] {
  const n = [1, 2, 3, 4];
  return [
    { name: 'CRSPLIT', format: '1J', data: i32(n) },
    { name: 'MEANEXP', format: '1E', data: f32(n.map(() => 0)) },
    { name: 'SCALENSE', format: '1E', data: f32(n.map(() => 0)) },
    { name: 'INITGUES', format: '8A', data: n.map((k) => (k > 2 ? 'med' : 'minimum')) },
    { name: 'SKYSUB', format: '4A', data: n.map(() => 'mode') },
    { name: 'CRSIGMAS', format: '15A', data: n.map(() => '6.5,5.5,4.5') },
    { name: 'CRRADIUS', format: '1E', data: f32(n.map(() => 2.1)) },
    { name: 'CRTHRESH', format: '1E', data: f32(n.map(() => 0.5555)) },
    { name: 'BADINPDQ', format: '1J', data: i32(n.map(() => 39)) },
    { name: 'CRMASK', format: '3A', data: n.map(() => 'yes') },
  ];
}

export function imphttabTables(
  cfg: SimConfig,
  modes: { obsmode: string; photflam: number }[],
): { extname: string; columns: ColumnSpec[] }[] {
  const m = modes.map((x) => x.obsmode);
  const common = (name: string, vals: number[]) => [
    { name: 'OBSMODE', format: '40A', data: m },
    { name: 'DATACOL', format: '12A', data: m.map(() => name) },
    { name, format: '1D', data: Float64Array.from(vals) },
  ];
  return [
    {
      extname: 'PHOTFLAM',
      columns: common(
        'PHOTFLAM',
        modes.map((x) => x.photflam),
      ),
    },
    {
      extname: 'PHOTPLAM',
      columns: common(
        'PHOTPLAM',
        modes.map(() => cfg.photplam),
      ),
    },
    {
      extname: 'PHOTBW',
      columns: common(
        'PHOTBW',
        modes.map(() => cfg.photbw),
      ),
    },
  ];
}
