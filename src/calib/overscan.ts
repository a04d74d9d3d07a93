// BLEVCORR's measurement half: the bias level per amp and row from the physical overscan, and the
// bias drift along the row from the virtual overscan. The subtraction happens in the CCD pass.
import type { AmpGeometry, ChipGeometry } from './layout.ts';
import { clippedLineFit, medianInPlace } from './numeric.ts';
import type { Placement } from './refimage.ts';

export interface AmpBias {
  amp: string;
  /** Bias level (DN) to subtract on each raw row. */
  rowLevel: Float64Array;
  /** Extra level (DN) per column of the amp's run, from the virtual overscan (zeros without one). */
  colDrift: Float32Array;
  /** Mean level over the science rows (BIASLEVx). */
  mean: number;
  intercept: number;
  slope: number;
  /** Residual scatter of the per-row medians about the line. */
  sigma: number;
  rowsUsed: number;
  rowsRejected: number;
  driftSlope: number;
  /** 'overscan' when fitted, 'ccdtab' when the CCDTAB bias was used instead (why in `note`). */
  source: 'overscan' | 'ccdtab';
  note: string;
}

export interface OverscanOptions {
  /** Raw values at or above this are A-to-D saturated and not used. */
  atodsat: number;
  /** Full-frame bias whose overscan pixels are subtracted first (BIASCORR precedes BLEVCORR). */
  bias?: Placement;
  /** Bias in DN per bias-reference unit (1/gain when the bias is in electrons). */
  biasToDn?: number;
  /** CCDTAB bias (DN) used when the overscan is unusable. */
  fallbackLevel: number;
  nsigma?: number;
}

/** Measures one amp's bias from its overscan; falls back to the CCDTAB level when it cannot. */
export function measureAmpBias(
  raw: ArrayLike<number>,
  geom: ChipGeometry,
  ampIndex: number,
  opt: OverscanOptions,
): AmpBias {
  const a = geom.amps[ampIndex];
  const medians = rowMedians(raw, geom, a, opt);
  const rows = new Float64Array(geom.ny);
  for (let i = 0; i < rows.length; i++) rows[i] = i;
  const fit =
    a.biasCols[1] > a.biasCols[0] ? clippedLineFit(rows, medians, opt.nsigma ?? 3, 5, 10) : undefined;
  const rowLevel = new Float64Array(geom.ny);
  const colDrift = new Float32Array(a.width);
  if (!fit) {
    rowLevel.fill(opt.fallbackLevel);
    const note =
      a.biasCols[1] > a.biasCols[0] ? 'too few good overscan rows' : 'no overscan columns for this amp';
    return {
      amp: a.amp,
      rowLevel,
      colDrift,
      mean: opt.fallbackLevel,
      intercept: opt.fallbackLevel,
      slope: 0,
      sigma: 0,
      rowsUsed: 0,
      rowsRejected: geom.ny,
      driftSlope: 0,
      source: 'ccdtab',
      note,
    };
  }
  for (let r = 0; r < geom.ny; r++) rowLevel[r] = fit.intercept + fit.slope * r;
  const driftSlope = virtualDrift(raw, geom, a, rowLevel, colDrift, opt);
  const mid = geom.rowStart + (geom.outNy - 1) / 2;
  return {
    amp: a.amp,
    rowLevel,
    colDrift,
    mean: fit.intercept + fit.slope * mid,
    intercept: fit.intercept,
    slope: fit.slope,
    sigma: fit.sigma,
    rowsUsed: fit.used,
    rowsRejected: fit.rejected,
    driftSlope,
    source: 'overscan',
    note: '',
  };
}

function rowMedians(
  raw: ArrayLike<number>,
  geom: ChipGeometry,
  a: AmpGeometry,
  opt: OverscanOptions,
): Float64Array {
  const [c0, c1] = a.biasCols;
  const out = new Float64Array(geom.ny).fill(Number.NaN);
  if (c1 <= c0) return out;
  const buf = new Float64Array(c1 - c0);
  const b = opt.bias && opt.bias.space === 'raw' ? opt.bias : undefined;
  const bscale = opt.biasToDn ?? 1;
  for (let r = 0; r < geom.ny; r++) {
    let n = 0;
    const base = r * geom.nx;
    const bRow = b ? (r + b.dy) * b.ref.nx + b.dx : 0;
    const bOk = b !== undefined && r + b.dy >= 0 && r + b.dy < b.ref.ny;
    for (let c = c0; c < c1; c++) {
      const v = raw[base + c];
      if (v >= opt.atodsat) continue;
      let bv = 0;
      if (bOk && b && c + b.dx >= 0 && c + b.dx < b.ref.nx) bv = b.ref.data[bRow + c] * bscale;
      buf[n++] = v - bv;
    }
    if (n >= 3) out[r] = medianInPlace(buf, n);
  }
  return out;
}

/**
 * The virtual overscan rows hold no charge from the sky, only bias: their per-column median,
 * after the row fit is removed, is the bias pattern along the row. A clipped straight line in
 * column models the drift without copying pixel noise into the science.
 */
function virtualDrift(
  raw: ArrayLike<number>,
  geom: ChipGeometry,
  a: AmpGeometry,
  rowLevel: Float64Array,
  colDrift: Float32Array,
  opt: OverscanOptions,
): number {
  const [r0, r1] = a.virtRows;
  if (r1 - r0 < 3) return 0;
  const vals = new Float64Array(a.width);
  const xs = new Float64Array(a.width);
  const buf = new Float64Array(r1 - r0);
  for (let k = 0; k < a.width; k++) {
    let n = 0;
    for (let r = r0; r < r1; r++) {
      const v = raw[r * geom.nx + a.srcX0 + k];
      if (v < opt.atodsat) buf[n++] = v - rowLevel[r];
    }
    xs[k] = k;
    vals[k] = n >= 3 ? medianInPlace(buf, n) : Number.NaN;
  }
  const fit = clippedLineFit(xs, vals, 3, 5, 10);
  if (!fit) return 0;
  for (let k = 0; k < a.width; k++) colDrift[k] = fit.intercept + fit.slope * k;
  return fit.slope;
}
