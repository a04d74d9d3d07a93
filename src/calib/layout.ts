// Detector geometry: which amplifiers read which part of a chip, where the overscan is, and what
// is trimmed. The geometry comes from an OSCNTAB row (1-based inclusive columns, as in the
// reference table); `DEFAULT_OSCN` holds the documented layouts used when no OSCNTAB is at hand.
import { CalibError } from './errors.ts';

export type Detector = 'WFC' | 'HRC' | 'UVIS';

/** One OSCNTAB row. TRIMX3/TRIMX4: serial virtual overscan between two amps (WFC3/UVIS). */
export interface OscnRow {
  ccdamp: string;
  ccdchip: number;
  binx: number;
  biny: number;
  nx: number;
  ny: number;
  trimx1: number;
  trimx2: number;
  trimx3: number;
  trimx4: number;
  trimy1: number;
  trimy2: number;
  biassecta1: number;
  biassecta2: number;
  biassectb1: number;
  biassectb2: number;
  vx1: number;
  vx2: number;
  vy1: number;
  vy2: number;
}

/** One amplifier's share of a chip, 0-based half-open ranges in raw pixels. */
export interface AmpGeometry {
  amp: string;
  /** Raw columns [srcX0, srcX0 + width) become output columns [outX0, outX0 + width). */
  srcX0: number;
  outX0: number;
  width: number;
  /** Raw overscan columns [c0, c1) read by this amp (empty when c1 <= c0). */
  biasCols: [number, number];
  /** Virtual overscan rows [r0, r1) (raw) over this amp's columns; empty when r1 <= r0. */
  virtRows: [number, number];
}

export interface ChipGeometry {
  nx: number;
  ny: number;
  /** Raw rows [rowStart, rowStart + outNy) are kept. */
  rowStart: number;
  outNx: number;
  outNy: number;
  amps: AmpGeometry[];
}

const row = (r: Partial<OscnRow> & Pick<OscnRow, 'ccdamp' | 'ccdchip' | 'nx' | 'ny'>): OscnRow => ({
  binx: 1,
  biny: 1,
  trimx1: 0,
  trimx2: 0,
  trimx3: 0,
  trimx4: 0,
  trimy1: 0,
  trimy2: 0,
  biassecta1: 0,
  biassecta2: 0,
  biassectb1: 0,
  biassectb2: 0,
  vx1: 0,
  vx2: 0,
  vy1: 0,
  vy2: 0,
  ...r,
});

/**
 * Documented full-frame layouts (ACS Instrument Handbook §3/ACS Data Handbook §2: WFC raw chips
 * 4144×2068 with 24 physical prescan columns per amp and 20 virtual overscan rows; HRC 1062×1044
 * with 19 leading/trailing prescan columns and 20 virtual rows; WFC3 Instrument Handbook §6.7:
 * UVIS chips 4206×2070 with 25 prescan columns per amp, 60 serial virtual overscan columns in the
 * middle and 19 parallel virtual rows). BIASSECT avoids the first two and last two prescan
 * columns of each amp, the transition columns that read high. The HRC amp C window (columns
 * 2–18) reproduces the overscan level measured independently on j8bt05njq (1135.2 DN). These are
 * used only when the OSCNTAB named in the header cannot be found.
 */
export const DEFAULT_OSCN: Record<Detector, OscnRow[]> = {
  WFC: [
    // Chip 2 (SCI,1): amps C (left) and D (right); virtual rows above the science area.
    row({
      ccdamp: 'CD',
      ccdchip: 2,
      nx: 4144,
      ny: 2068,
      trimx1: 24,
      trimx2: 24,
      trimy2: 20,
      biassecta1: 3,
      biassecta2: 22,
      biassectb1: 4123,
      biassectb2: 4142,
      vx1: 25,
      vx2: 4120,
      vy1: 2051,
      vy2: 2066,
    }),
    // Chip 1 (SCI,2): amps A (left) and B (right); virtual rows below the science area.
    row({
      ccdamp: 'AB',
      ccdchip: 1,
      nx: 4144,
      ny: 2068,
      trimx1: 24,
      trimx2: 24,
      trimy1: 20,
      biassecta1: 3,
      biassecta2: 22,
      biassectb1: 4123,
      biassectb2: 4142,
      vx1: 25,
      vx2: 4120,
      vy1: 3,
      vy2: 18,
    }),
  ],
  HRC: ['A', 'B', 'C', 'D'].map((amp) =>
    row({
      ccdamp: amp,
      ccdchip: 1,
      nx: 1062,
      ny: 1044,
      trimx1: 19,
      trimx2: 19,
      trimy2: 20,
      biassecta1: 2,
      biassecta2: 18,
      vx1: 20,
      vx2: 1043,
      vy1: 1027,
      vy2: 1042,
    }),
  ),
  UVIS: [
    row({
      ccdamp: 'CD',
      ccdchip: 2,
      nx: 4206,
      ny: 2070,
      trimx1: 25,
      trimx2: 25,
      trimx3: 30,
      trimx4: 30,
      trimy2: 19,
      biassecta1: 3,
      biassecta2: 23,
      biassectb1: 4184,
      biassectb2: 4204,
      vx1: 26,
      vx2: 4181,
      vy1: 2053,
      vy2: 2068,
    }),
    row({
      ccdamp: 'AB',
      ccdchip: 1,
      nx: 4206,
      ny: 2070,
      trimx1: 25,
      trimx2: 25,
      trimx3: 30,
      trimx4: 30,
      trimy1: 19,
      biassecta1: 3,
      biassecta2: 23,
      biassectb1: 4184,
      biassectb2: 4204,
      vx1: 26,
      vx2: 4181,
      vy1: 3,
      vy2: 17,
    }),
  ],
};

/** Amps that sit on a chip, left to right. */
export function chipAmps(detector: Detector, ccdamp: string, chip: number): string[] {
  const letters = ccdamp.trim().toUpperCase().split('');
  if (detector === 'HRC') return letters.slice(0, 1);
  const onChip = chip === 1 ? ['A', 'B'] : ['C', 'D'];
  return onChip.filter((a) => letters.includes(a));
}

export function parseDetector(instrume: string, detector: string, file?: string): Detector {
  const key = `${instrume.trim().toUpperCase()}/${detector.trim().toUpperCase()}`;
  if (key === 'ACS/WFC') return 'WFC';
  if (key === 'ACS/HRC') return 'HRC';
  if (key === 'WFC3/UVIS') return 'UVIS';
  throw new CalibError(
    'E_CALIB_DETECTOR',
    'INPUT',
    `unsupported detector ${key}: this engine calibrates ACS/WFC, ACS/HRC and WFC3/UVIS`,
    file,
  );
}

/** Picks the OSCNTAB row for a chip: same chip, binning and raw size, and amps that read it. */
export function selectOscnRow(
  rows: OscnRow[],
  chip: number,
  amps: string[],
  nx: number,
  ny: number,
  binx = 1,
  biny = 1,
): OscnRow | undefined {
  const want = amps.join('');
  const fits = rows.filter(
    (r) => r.ccdchip === chip && r.binx === binx && r.biny === biny && r.nx === nx && r.ny === ny,
  );
  return (
    fits.find((r) => r.ccdamp.trim() === want) ?? fits.find((r) => amps.every((a) => r.ccdamp.includes(a)))
  );
}

/**
 * Chip geometry from an OSCNTAB row. With two amps the chip splits at the middle of the raw row;
 * TRIMX3/TRIMX4 remove the serial virtual overscan on either side of the split.
 */
export function chipGeometry(r: OscnRow, amps: string[]): ChipGeometry {
  const outNy = r.ny - r.trimy1 - r.trimy2;
  const virt: [number, number] = r.vy2 > 0 ? [r.vy1 - 1, r.vy2] : [0, 0];
  const list: AmpGeometry[] = [];
  if (amps.length === 1) {
    const width = r.nx - r.trimx1 - r.trimx2;
    list.push({
      amp: amps[0],
      srcX0: r.trimx1,
      outX0: 0,
      width,
      biasCols: biasCols(r.biassecta1, r.biassecta2, r.biassectb1, r.biassectb2),
      virtRows: virt,
    });
  } else {
    const half = r.nx >> 1;
    const wl = half - r.trimx1 - r.trimx3;
    const wr = r.nx - half - r.trimx2 - r.trimx4;
    list.push({
      amp: amps[0],
      srcX0: r.trimx1,
      outX0: 0,
      width: wl,
      biasCols: [r.biassecta1 - 1, r.biassecta2],
      virtRows: virt,
    });
    list.push({
      amp: amps[1],
      srcX0: half + r.trimx4,
      outX0: wl,
      width: wr,
      biasCols: [r.biassectb1 - 1, r.biassectb2],
      virtRows: virt,
    });
  }
  const outNx = list.reduce((s, a) => s + a.width, 0);
  return { nx: r.nx, ny: r.ny, rowStart: r.trimy1, outNx, outNy, amps: list };
}

// A single-amp readout uses BIASSECTA when it is given, else BIASSECTB.
function biasCols(a1: number, a2: number, b1: number, b2: number): [number, number] {
  return a2 > 0 ? [a1 - 1, a2] : [b1 - 1, b2];
}
