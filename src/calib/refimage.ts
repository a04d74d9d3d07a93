// A reference image placed against a science chip. References come either at the raw size (bias,
// with its own overscan) or at the trimmed size (dark, flat); subarrays take the matching section.
// The placement is fixed once per chip from the LTV keywords, and checked to cover every pixel
// the chip needs, so the pixel loops index without bounds tests.
import { CalibError } from './errors.ts';
import type { ChipGeometry } from './layout.ts';

export interface RefImage {
  /** Physical values (electrons, electrons/s or unitless, depending on the reference). */
  data: Float32Array;
  err?: Float32Array;
  dq?: Uint16Array;
  /** 1/data (0 where data is 0), when the holder precomputed it (flats); otherwise derived and cached. */
  inv?: Float32Array;
  nx: number;
  ny: number;
  /** LTV1/LTV2 of the reference (0 for a full-frame trimmed reference). */
  ltv1: number;
  ltv2: number;
  /** File name for messages. */
  file: string;
}

/** How a reference maps onto a chip: index = (row + dy)·nx + col + dx in raw or output coordinates. */
export interface Placement {
  ref: RefImage;
  space: 'raw' | 'out';
  dx: number;
  dy: number;
}

/**
 * Places a reference on a chip through the physical coordinates both share (image = physical +
 * LTV). As in calacs, the CCD-stage reference (BIASCORR) is indexed on the raw grid, overscan
 * included, and the 2-D references (dark, flash, flat, shading, full-well map) on the trimmed
 * grid, whose LTV is the raw LTV minus the trimmed margins; that also holds across WFC3/UVIS's
 * central serial overscan. Subarrays take the matching section of a full-frame reference.
 */
export function placeRef(
  ref: RefImage,
  geom: ChipGeometry,
  rawLtv: [number, number],
  step: string,
): Placement {
  let p: Placement;
  if (step === 'BIASCORR') {
    p = { ref, space: 'raw', dx: Math.round(ref.ltv1 - rawLtv[0]), dy: Math.round(ref.ltv2 - rawLtv[1]) };
  } else {
    const outLtv1 = rawLtv[0] - geom.amps[0].srcX0;
    const outLtv2 = rawLtv[1] - geom.rowStart;
    p = { ref, space: 'out', dx: Math.round(ref.ltv1 - outLtv1), dy: Math.round(ref.ltv2 - outLtv2) };
  }
  checkCovers(p, geom, step);
  return p;
}

function checkCovers(p: Placement, geom: ChipGeometry, step: string): void {
  const { ref } = p;
  let x0: number;
  let x1: number;
  let y0: number;
  let y1: number;
  if (p.space === 'raw') {
    x0 = Math.min(...geom.amps.map((a) => a.srcX0));
    x1 = Math.max(...geom.amps.map((a) => a.srcX0 + a.width));
    y0 = geom.rowStart;
    y1 = geom.rowStart + geom.outNy;
  } else {
    x0 = 0;
    x1 = geom.outNx;
    y0 = 0;
    y1 = geom.outNy;
  }
  if (x0 + p.dx < 0 || x1 + p.dx > ref.nx || y0 + p.dy < 0 || y1 + p.dy > ref.ny) {
    throw new CalibError(
      'E_CALIB_REF_SIZE',
      step,
      `reference image is ${ref.nx}x${ref.ny} (LTV ${ref.ltv1},${ref.ltv2}) and does not cover the science area ` +
        `(${geom.outNx}x${geom.outNy} trimmed, ${geom.nx}x${geom.ny} raw); select a reference for this aperture and size`,
      ref.file,
    );
  }
}

/** Index of the first pixel of an amp's run on output row oy in the reference. */
export function refRowBase(p: Placement, geom: ChipGeometry, ampIndex: number, oy: number): number {
  const a = geom.amps[ampIndex];
  if (p.space === 'raw') return (geom.rowStart + oy + p.dy) * p.ref.nx + a.srcX0 + p.dx;
  return (oy + p.dy) * p.ref.nx + a.outX0 + p.dx;
}
