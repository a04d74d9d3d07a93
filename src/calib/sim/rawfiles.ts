// The raw-file side of the simulator: primary and extension headers with the keywords a real
// raw carries (switches, reference names, amps, WCS, LTV), and the association table.
import { type CardValue, encodeBinTable, type HduSpec, writeFits } from '../../fits/index.ts';
import { join } from 'node:path';
import type { chipGeometry } from '../layout.ts';
import type { ChipDetector } from './detector.ts';
import type { SimConfig } from './instruments.ts';

type Cards = [string, CardValue, string?][];

export interface SimChip {
  chip: number;
  amps: string[];
  geom: ReturnType<typeof chipGeometry>;
  det: ChipDetector;
  rate: Float32Array;
  ltv: [number, number];
}

export function primaryCards(
  cfg: SimConfig,
  root: string,
  exptime: number,
  darktime: number,
  nexp: number,
  refs: Record<string, string>,
  asnId: string | undefined,
  j: number,
): Cards {
  const pre = cfg.refPrefix;
  const ref = (k: keyof typeof refs) => `${pre}$${refs[k]}`;
  const cards: Cards = [
    ['NEXTEND', cfg.chips.length * 3, 'Number of standard extensions'],
    ['FILENAME', `${root}_raw.fits`, 'name of file'],
    ['FILETYPE', 'SCI', 'type of data found in data file'],
    ['TELESCOP', 'HST', 'telescope used to acquire data'],
    ['INSTRUME', cfg.instrument, 'identifier for instrument used to acquire data'],
    ['EQUINOX', 2000.0],
    ['ROOTNAME', root.toUpperCase(), 'rootname of the observation set'],
    ['IMAGETYP', 'EXT'],
    ['TARGNAME', 'CALDERA-SIM', "proposer's target name"],
    ['RA_TARG', 150.1],
    ['DEC_TARG', 2.2],
    ['DATE-OBS', '2019-06-01', 'UT date of start of observation (yyyy-mm-dd)'],
    ['TIME-OBS', `12:${String(10 * j).padStart(2, '0')}:00`, 'UT time of start of observation (hh:mm:ss)'],
    ['EXPSTART', 58635.5 + j * 0.007],
    ['EXPTIME', exptime, 'exposure duration (seconds)--calculated'],
    ['DARKTIME', darktime, 'dark current exposure time (seconds)'],
    ['FLASHDUR', 0.0],
    ['OBSTYPE', 'IMAGING'],
    ['OBSMODE', 'ACCUM'],
    ['DETECTOR', cfg.detector, 'detector in use'],
    ...Object.entries(cfg.filters).map(([k, v]) => [k, v] as [string, CardValue]),
    ['APERTURE', cfg.aperture],
    ['SUBARRAY', false],
    ['CRSPLIT', nexp, 'number of cosmic ray split exposures'],
    ['CCDAMP', cfg.ccdamp, 'CCD Amplifier Readout Configuration'],
    ['CCDGAIN', cfg.ccdgain, 'commanded gain of CCD'],
    ...['A', 'B', 'C', 'D'].map((a) => [`CCDOFST${a}`, 3] as [string, CardValue]),
    ['DQICORR', 'PERFORM', 'data quality initialization'],
    ['ATODCORR', 'OMIT', 'correct for A to D conversion errors'],
    ['BLEVCORR', 'PERFORM', 'subtract bias level computed from overscan img'],
    ['BIASCORR', 'PERFORM', 'Subtract bias image'],
    ['FLSHCORR', 'OMIT', 'post flash correction'],
    ['CRCORR', nexp > 1 ? 'PERFORM' : 'OMIT', 'combine observations to reject cosmic rays'],
    ['SHADCORR', 'OMIT', 'apply shutter shading correction'],
    ['DARKCORR', 'PERFORM', 'Subtract dark image'],
    ['FLATCORR', 'PERFORM', 'flat field data'],
    ['PHOTCORR', 'PERFORM', 'populate photometric header keywords'],
    ['BPIXTAB', ref('BPIXTAB'), 'bad pixel table'],
    ['CCDTAB', ref('CCDTAB'), 'CCD calibration parameters'],
    ['OSCNTAB', ref('OSCNTAB'), 'CCD overscan table'],
    ['BIASFILE', ref('BIASFILE'), 'bias image file name'],
    ['FLSHFILE', 'N/A', 'post flash correction file name'],
    ['CRREJTAB', ref('CRREJTAB'), 'cosmic ray rejection parameters'],
    ['SHADFILE', 'N/A', 'shutter shading correction file'],
    ['DARKFILE', ref('DARKFILE'), 'dark image file name'],
    ['PFLTFILE', ref('PFLTFILE'), 'pixel to pixel flat field file name'],
    ['DFLTFILE', 'N/A', 'delta flat field file name'],
    ['LFLTFILE', 'N/A', 'low order flat'],
    ['IMPHTTAB', ref('IMPHTTAB'), 'Image Photometry Table'],
    ...['A', 'B', 'C', 'D'].flatMap(
      (a) =>
        [
          [`ATODGN${a}`, 0.0],
          [`READNSE${a}`, 0.0],
          [`BIASLEV${a}`, 0.0],
        ] as [string, CardValue][],
    ),
  ];
  if (asnId)
    cards.push(['ASN_ID', asnId.toUpperCase()], ['ASN_TAB', `${asnId}_asn.fits`], ['ASN_MTYP', 'EXP-CRJ']);
  else cards.push(['ASN_ID', 'NONE'], ['ASN_TAB', 'NONE'], ['ASN_MTYP', '']);
  return cards;
}

export function rawChipHdus(cfg: SimConfig, c: SimChip, ver: number, raw: Uint16Array): HduSpec[] {
  const { geom } = c;
  const scale = cfg.detector === 'HRC' ? 7.0e-6 : cfg.detector === 'WFC' ? 1.39e-5 : 1.1e-5;
  const common: Cards = [
    ['INHERIT', true],
    ['CCDCHIP', c.chip, 'CCD chip (1 or 2)'],
    ['WCSAXES', 2],
    ['CRPIX1', geom.nx / 2],
    ['CRPIX2', geom.ny / 2 + (c.chip === 1 ? 1024 : -1024) * (cfg.chips.length > 1 ? 1 : 0)],
    ['CRVAL1', 150.1],
    ['CRVAL2', 2.2],
    ['CTYPE1', 'RA---TAN'],
    ['CTYPE2', 'DEC--TAN'],
    ['CD1_1', -scale],
    ['CD1_2', 0.0],
    ['CD2_1', 0.0],
    ['CD2_2', scale],
    ['LTV1', c.ltv[0], 'offset in X to subsection start'],
    ['LTV2', c.ltv[1], 'offset in Y to subsection start'],
    ['LTM1_1', 1.0],
    ['LTM2_2', 1.0],
    ['SIZAXIS1', geom.nx],
    ['SIZAXIS2', geom.ny],
    ['BINAXIS1', 1],
    ['BINAXIS2', 1],
    ['SDQFLAGS', 31743, 'serious data quality flags'],
  ];
  const constant = (bitpix: number, name: string): HduSpec => ({
    kind: 'image',
    header: [
      ...common,
      ['BUNIT', name === 'ERR' ? 'COUNTS' : 'UNITLESS'],
      ['NPIX1', geom.nx],
      ['NPIX2', geom.ny],
      ['PIXVALUE', 0.0],
    ],
    bitpix,
    name,
    ver,
  });
  return [
    {
      kind: 'image',
      header: [...common, ['BUNIT', 'COUNTS', 'brightness units']],
      data: raw,
      naxes: [geom.nx, geom.ny],
      name: 'SCI',
      ver,
    },
    constant(-32, 'ERR'),
    constant(16, 'DQ'),
  ];
}

export function writeAsn(
  dir: string,
  asnId: string,
  roots: string[],
  product: string,
  cfg: SimConfig,
): string {
  const names = [...roots.map((r) => r.toUpperCase()), product.toUpperCase()];
  const types = [...roots.map(() => 'EXP-CRJ'), 'PROD-CRJ'];
  const enc = encodeBinTable({
    columns: [
      { name: 'MEMNAME', format: '14A', data: names },
      { name: 'MEMTYPE', format: '14A', data: types },
      { name: 'MEMPRSNT', format: '1L', data: names.map(() => true) },
    ],
  });
  const path = join(dir, `${asnId}_asn.fits`);
  writeFits(
    path,
    [
      {
        kind: 'image',
        header: [
          ['TELESCOP', 'HST'],
          ['INSTRUME', cfg.instrument],
          ['DETECTOR', cfg.detector],
          ['ROOTNAME', asnId.toUpperCase()],
          ['ASN_ID', asnId.toUpperCase()],
          ['ASN_TAB', `${asnId}_asn.fits`],
        ],
      },
      { kind: 'encoded', header: enc.header, data: enc.data, name: 'ASN' },
    ],
    { checksum: true },
  );
  return path;
}
