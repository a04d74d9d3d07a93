// What the simulator knows about each detector: raw layout (full and --size small), amplifiers,
// gains, read noise, bias levels, full well, and the header values a real raw carries.
import { DEFAULT_OSCN, type Detector, type OscnRow } from '../layout.ts';

export type SimInstrument = 'acs-wfc' | 'acs-hrc' | 'wfc3-uvis';

export interface SimConfig {
  instrument: 'ACS' | 'WFC3';
  detector: Detector;
  refPrefix: 'jref' | 'iref';
  rootLetter: 'j' | 'i';
  ccdamp: string;
  ccdgain: number;
  /** Per amp: gain (e-/DN), read noise (e-), bias level (DN). */
  amps: Record<string, { gain: number; rn: number; bias: number }>;
  /** Chips in raw extension order (SCI,1 first). */
  chips: number[];
  oscn: OscnRow[];
  /** CCDTAB full-well saturation (e-); the simulated wells hold 10 % more before clipping. */
  saturate: number;
  filters: Record<string, string>;
  aperture: string;
  exptime: number;
  /** CCDTAB commanding overheads (s) that calacs adds to DARKTIME (ACS only). */
  darkOverhead: { flashed: number; unflashed: number };
  /** Sky rate in e-/s/pixel and dark current in e-/s. */
  sky: number;
  dark: number;
  photflam: Record<number, number>;
  photplam: number;
  photbw: number;
}

/** A reduced layout that keeps every feature (prescan, virtual rows, central overscan). */
function small(rows: OscnRow[], sciX: number, sciY: number): OscnRow[] {
  return rows.map((r) => {
    const twoAmp = r.ccdamp.length === 2;
    const nx = r.trimx1 + r.trimx2 + r.trimx3 + r.trimx4 + sciX;
    const ny = r.trimy1 + r.trimy2 + sciY;
    const virtTop = r.trimy2 > 0;
    return {
      ...r,
      nx,
      ny,
      biassectb1: twoAmp ? nx - r.trimx2 + 3 : r.biassectb1,
      biassectb2: twoAmp ? nx - 2 : r.biassectb2,
      vx1: r.trimx1 + 1,
      vx2: twoAmp ? nx - r.trimx2 : r.trimx1 + sciX,
      vy1: virtTop ? r.trimy1 + sciY + 3 : 3,
      vy2: virtTop ? ny - 2 : r.trimy1 - 2,
    };
  });
}

export function simConfig(inst: SimInstrument, size: 'full' | 'small'): SimConfig {
  if (inst === 'acs-wfc') {
    return {
      instrument: 'ACS',
      detector: 'WFC',
      refPrefix: 'jref',
      rootLetter: 'j',
      ccdamp: 'ABCD',
      ccdgain: 2,
      amps: {
        A: { gain: 2.02, rn: 4.3, bias: 2210 },
        B: { gain: 1.97, rn: 3.8, bias: 2310 },
        C: { gain: 2.01, rn: 4.1, bias: 2255 },
        D: { gain: 2.05, rn: 4.6, bias: 2340 },
      },
      chips: [2, 1],
      oscn: size === 'full' ? DEFAULT_OSCN.WFC : small(DEFAULT_OSCN.WFC, 512, 256),
      saturate: 84700,
      filters: { FILTER1: 'F606W', FILTER2: 'CLEAR2L' },
      aperture: 'WFC',
      exptime: 400,
      darkOverhead: { flashed: 2.4, unflashed: 1.3 },
      sky: 0.2,
      dark: 0.006,
      photflam: { 1: 7.8624e-20, 2: 7.8961e-20 },
      photplam: 5921.9,
      photbw: 672.3,
    };
  }
  if (inst === 'acs-hrc') {
    return {
      instrument: 'ACS',
      detector: 'HRC',
      refPrefix: 'jref',
      rootLetter: 'j',
      ccdamp: 'C',
      ccdgain: 2,
      amps: { C: { gain: 2.216, rn: 4.8, bias: 1135 } },
      chips: [1],
      oscn: size === 'full' ? DEFAULT_OSCN.HRC : small(DEFAULT_OSCN.HRC, 256, 256),
      saturate: 155000,
      filters: { FILTER1: 'F555W', FILTER2: 'CLEAR2S' },
      aperture: 'HRC',
      exptime: 300,
      darkOverhead: { flashed: 2.4, unflashed: 1.3 },
      sky: 0.05,
      dark: 0.008,
      photflam: { 1: 3.0e-19 },
      photplam: 5356.0,
      photbw: 359.8,
    };
  }
  return {
    instrument: 'WFC3',
    detector: 'UVIS',
    refPrefix: 'iref',
    rootLetter: 'i',
    ccdamp: 'ABCD',
    ccdgain: 1.5,
    amps: {
      A: { gain: 1.56, rn: 3.1, bias: 2500 },
      B: { gain: 1.55, rn: 3.2, bias: 2480 },
      C: { gain: 1.56, rn: 3.0, bias: 2520 },
      D: { gain: 1.57, rn: 3.3, bias: 2505 },
    },
    chips: [2, 1],
    oscn: size === 'full' ? DEFAULT_OSCN.UVIS : small(DEFAULT_OSCN.UVIS, 512, 256),
    saturate: 63000,
    filters: { FILTER: 'F606W' },
    aperture: 'UVIS',
    exptime: 350,
    darkOverhead: { flashed: 0, unflashed: 0 },
    sky: 0.15,
    dark: 0.004,
    photflam: { 1: 1.1e-19, 2: 1.12e-19 },
    photplam: 5889.2,
    photbw: 659.0,
  };
}
