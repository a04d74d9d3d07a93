// `caldera simulate`: a complete synthetic observation — raw files laid out like real ones, an
// association for CR-SPLITs, matching reference files in a CRDS cache with its mappings, and
// the ground truth (noise-free scene, cosmic-ray deposits, expected DQ flags) beside it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CardValue, type HduSpec, writeFits } from '../../fits/index.ts';
import { CalibError } from '../errors.ts';
import { chipAmps, chipGeometry } from '../layout.ts';
import { photMode } from '../phot.ts';
import { writeCrdsCache } from './crds.ts';
import { primaryCards, rawChipHdus, type SimChip, writeAsn } from './rawfiles.ts';
import { deadMask, makeChipDetector, readOut } from './detector.ts';
import { type SimConfig, type SimInstrument, simConfig } from './instruments.ts';
import {
  bpixtabColumns,
  type BpixRow,
  ccdtabColumns,
  crrejColumns,
  imphttabTables,
  oscntabColumns,
  writeRefImage,
  writeRefTable,
} from './reffiles.ts';
import { Rng } from './rng.ts';
import {
  addCosmicRays,
  type CosmicRay,
  type Galaxy,
  makeGalaxies,
  makeStars,
  renderGalaxies,
  renderStars,
  type Star,
} from './scene.ts';

export interface SimulateOptions {
  outDir: string;
  instrument?: SimInstrument;
  exposures?: number;
  seed?: number;
  size?: 'full' | 'small';
  /** Cosmic-ray events per pixel per second (default 2.5e-6, about ACS/WFC's rate). */
  crRate?: number;
}

export interface SimExposure {
  rootname: string;
  raw: string;
  truth: string;
  exptime: number;
  darktime: number;
  /** Per chip (raw extension order): the injected cosmic rays. */
  cosmicRays: CosmicRay[][];
}

export interface SimChipTruth {
  ver: number;
  chip: number;
  stars: Star[];
  galaxies: Galaxy[];
  badColumns: { x: number; y: number; length: number }[];
  biasLevels: { amp: string; a: number; b: number }[];
}

export interface SimulateResult {
  datasetId: string;
  instrument: SimInstrument;
  detector: string;
  dir: string;
  exposures: SimExposure[];
  asn?: string;
  crjProduct?: string;
  crdsPath: string;
  pmap: string;
  refs: Record<string, string>;
  chips: SimChipTruth[];
  truthJson: string;
  saturate: number;
}

type Cards = [string, CardValue, string?][];

export function simulate(datasetId: string, opts: SimulateOptions): SimulateResult {
  const id = datasetId.trim().toLowerCase();
  if (!/^[a-z0-9]{4,16}$/.test(id))
    throw new CalibError(
      'E_CALIB_INPUT',
      'SIMULATE',
      `dataset id '${datasetId}' must be 4-16 letters and digits`,
    );
  const instrument = opts.instrument ?? 'acs-wfc';
  const cfg = simConfig(instrument, opts.size ?? 'full');
  const nexp = Math.max(1, Math.floor(opts.exposures ?? 1));
  const rng = new Rng(opts.seed ?? 1);
  const dir = opts.outDir;
  const crdsPath = join(dir, 'crds');
  const refDir = join(crdsPath, 'references', 'hst');
  const truthDir = join(dir, 'truth');
  for (const d of [dir, refDir, truthDir]) mkdirSync(d, { recursive: true });
  const chips = cfg.chips.map((chip) => {
    const amps = chipAmps(cfg.detector, cfg.ccdamp, chip);
    const row = cfg.oscn.find(
      (r) => r.ccdchip === chip && (r.ccdamp === amps.join('') || r.ccdamp === cfg.ccdamp.slice(0, 1)),
    )!;
    const geom = chipGeometry(row, amps);
    const det = makeChipDetector(rng, cfg, geom, amps);
    const npix = geom.outNx * geom.outNy;
    const nstars = Math.max(12, Math.round(npix / 4000));
    const stars = makeStars(rng, geom.outNx, geom.outNy, nstars, Math.max(2, Math.round(nstars / 30)));
    const galaxies = makeGalaxies(rng, geom.outNx, geom.outNy, Math.max(3, Math.round(nstars / 4)));
    const rate = new Float32Array(npix).fill(cfg.sky);
    renderStars(rate, geom.outNx, geom.outNy, stars, 1);
    renderGalaxies(rate, geom.outNx, geom.outNy, galaxies, 1);
    return {
      chip,
      amps,
      row,
      geom,
      det,
      stars,
      galaxies,
      rate,
      ltv: [geom.amps[0].srcX0, geom.rowStart] as [number, number],
    };
  });
  const refs = writeReferences(id, cfg, chips, refDir);
  const cache = writeCrdsCache({
    dir: crdsPath,
    instrument: cfg.instrument,
    detector: cfg.detector,
    refs: refs.byType,
  });
  const asnId = nexp > 1 ? id : undefined;
  const crjProduct = asnId ? `${id.slice(0, -1)}1` : undefined;
  const roots =
    nexp > 1
      ? Array.from(
          { length: nexp },
          (_, j) => `${id.slice(0, 6)}${'abcdefgh'[Math.floor(j / 8)]}${'abcdefgh'[j % 8]}q`,
        )
      : [id];
  const exposures = roots.map((root, j) =>
    writeExposure(rng, cfg, chips, root, j, nexp, refs.names, asnId, dir, truthDir, opts.crRate ?? 2.5e-6),
  );
  let asn: string | undefined;
  if (asnId) asn = writeAsn(dir, asnId, roots, crjProduct!, cfg);
  const result: SimulateResult = {
    datasetId: id,
    instrument,
    detector: cfg.detector,
    dir,
    exposures,
    asn,
    crjProduct,
    crdsPath,
    pmap: cache.pmap,
    refs: refs.byType,
    chips: chips.map((c, i) => ({
      ver: i + 1,
      chip: c.chip,
      stars: c.stars,
      galaxies: c.galaxies,
      badColumns: c.det.badColumns,
      biasLevels: c.det.levels.map((l, k) => ({ amp: c.amps[k], a: l.a, b: l.b })),
    })),
    truthJson: join(truthDir, `${id}_truth.json`),
    saturate: cfg.saturate,
  };
  writeFileSync(result.truthJson, JSON.stringify(result, null, 1));
  return result;
}

function writeReferences(id: string, cfg: SimConfig, chips: SimChip[], refDir: string) {
  const names = {
    BIASFILE: `${id}_bia.fits`,
    DARKFILE: `${id}_drk.fits`,
    PFLTFILE: `${id}_pfl.fits`,
    CCDTAB: `${id}_ccd.fits`,
    OSCNTAB: `${id}_osc.fits`,
    BPIXTAB: `${id}_bpx.fits`,
    CRREJTAB: `${id}_crr.fits`,
    IMPHTTAB: `${id}_imp.fits`,
  };
  writeRefImage(
    refDir,
    names.BIASFILE,
    cfg,
    'BIAS',
    'ELECTRONS',
    chips.map((c) => ({ chip: c.chip, data: c.det.biasPattern, nx: c.geom.nx, ny: c.geom.ny, ltv: c.ltv })),
  );
  writeRefImage(
    refDir,
    names.DARKFILE,
    cfg,
    'DARK',
    'ELECTRONS/S',
    chips.map((c) => ({
      chip: c.chip,
      data: c.det.darkRate,
      nx: c.geom.outNx,
      ny: c.geom.outNy,
      ltv: [0, 0],
    })),
  );
  writeRefImage(
    refDir,
    names.PFLTFILE,
    cfg,
    'PIXEL-TO-PIXEL FLAT',
    'UNITLESS',
    chips.map((c) => ({ chip: c.chip, data: c.det.flat, nx: c.geom.outNx, ny: c.geom.outNy, ltv: [0, 0] })),
  );
  writeRefTable(refDir, names.CCDTAB, cfg, 'CCD PARAMETERS', [{ columns: ccdtabColumns(cfg) }]);
  writeRefTable(refDir, names.OSCNTAB, cfg, 'OVERSCAN TABLE', [{ columns: oscntabColumns(cfg.oscn) }]);
  const bp: BpixRow[] = chips.flatMap((c) =>
    c.det.badColumns.map((b) => ({
      chip: c.chip,
      pix1: b.x + 1,
      pix2: b.y + 1,
      length: b.length,
      axis: 2,
      value: 4,
    })),
  );
  writeRefTable(refDir, names.BPIXTAB, cfg, 'BAD PIXELS', [{ columns: bpixtabColumns(bp) }]);
  writeRefTable(refDir, names.CRREJTAB, cfg, 'COSMIC RAY REJECTION', [{ columns: crrejColumns() }]);
  const filters = Object.values(cfg.filters);
  const modes = chips.map((c) => ({
    obsmode: `${photMode(cfg.detector, c.chip, filters).toLowerCase().split(' ').join(',')}${cfg.instrument === 'ACS' ? ',mjd#' : ''}`,
    photflam: cfg.photflam[c.chip],
  }));
  writeRefTable(refDir, names.IMPHTTAB, cfg, 'IMAGE PHOTOMETRY TABLE', imphttabTables(cfg, modes));
  const byType = Object.fromEntries(Object.entries(names).map(([k, v]) => [k.toLowerCase(), v]));
  return { names, byType };
}

function writeExposure(
  rng: Rng,
  cfg: SimConfig,
  chips: SimChip[],
  root: string,
  j: number,
  nexp: number,
  refs: Record<string, string>,
  asnId: string | undefined,
  dir: string,
  truthDir: string,
  crRate: number,
): SimExposure {
  const exptime = cfg.exptime;
  // DARKTIME in the header; the chip also integrates dark current during the commanding overhead
  // (which calacs adds from the CCDTAB for post-SM4 ACS full frames).
  const darktime = exptime + 3;
  const darkCharge = darktime + (cfg.instrument === 'ACS' ? cfg.darkOverhead.unflashed : 0);
  const hdus: HduSpec[] = [
    { kind: 'image', header: primaryCards(cfg, root, exptime, darktime, nexp, refs, asnId, j) },
  ];
  const truth: HduSpec[] = [
    {
      kind: 'image',
      header: [
        ['ROOTNAME', root],
        ['EXPTIME', exptime],
        [
          'COMMENT',
          'SCENE: noise-free sky in electrons (flat-fielded); CRDEP: cosmic-ray electrons; DQMASK: DQ bits calibration must set',
        ],
      ],
    },
  ];
  const crs: CosmicRay[][] = [];
  chips.forEach((c, i) => {
    const ver = i + 1;
    const { geom, det } = c;
    const npix = geom.outNx * geom.outNy;
    const dead = deadMask(det);
    const scene = new Float32Array(npix);
    const electrons = new Float32Array(npix);
    const dqmask = new Int16Array(npix);
    const well = cfg.saturate * 1.1;
    for (let k = 0; k < npix; k++) {
      scene[k] = c.rate[k] * exptime;
      const expect = (dead[k] ? 0 : scene[k] * det.flat[k]) + det.darkRate[k] * darkCharge;
      electrons[k] = rng.poisson(expect);
      if (dead[k]) dqmask[k] |= 4;
      if (det.flat[k] === 0) dqmask[k] |= 512;
      if (expect > cfg.saturate) dqmask[k] |= 256;
    }
    const crdep = new Float32Array(npix);
    crs.push(addCosmicRays(rng, crdep, geom.outNx, geom.outNy, Math.round(npix * crRate * exptime)));
    for (let k = 0; k < npix; k++) {
      const e = electrons[k] + crdep[k];
      electrons[k] = Math.min(e, well);
    }
    const raw = readOut(rng, cfg, det, electrons);
    markAtodsat(raw, geom, dqmask);
    hdus.push(...rawChipHdus(cfg, c, ver, raw));
    const cards: Cards = [
      ['CCDCHIP', c.chip],
      ['BUNIT', 'ELECTRONS'],
    ];
    truth.push({
      kind: 'image',
      header: cards,
      data: scene,
      naxes: [geom.outNx, geom.outNy],
      name: 'SCENE',
      ver,
    });
    truth.push({
      kind: 'image',
      header: cards,
      data: crdep,
      naxes: [geom.outNx, geom.outNy],
      name: 'CRDEP',
      ver,
    });
    truth.push({
      kind: 'image',
      header: cards,
      data: dqmask,
      naxes: [geom.outNx, geom.outNy],
      name: 'DQMASK',
      ver,
    });
  });
  const raw = join(dir, `${root}_raw.fits`);
  writeFits(raw, hdus, { checksum: true });
  const truthPath = join(truthDir, `${root}_truth.fits`);
  writeFits(truthPath, truth, { checksum: true });
  return { rootname: root, raw, truth: truthPath, exptime, darktime: darkCharge, cosmicRays: crs };
}

function markAtodsat(raw: Uint16Array, geom: ReturnType<typeof chipGeometry>, dqmask: Int16Array): void {
  for (let oy = 0; oy < geom.outNy; oy++) {
    for (const a of geom.amps) {
      for (let k = 0; k < a.width; k++) {
        if (raw[(geom.rowStart + oy) * geom.nx + a.srcX0 + k] >= 65535)
          dqmask[oy * geom.outNx + a.outX0 + k] |= 2048;
      }
    }
  }
}
