// The simulated detector of one chip: flat field, dark current with hot pixels, bias pattern,
// dead columns, per-amp bias level with row drift and column drift, and the readout that turns
// electrons on the trimmed grid into a raw frame with prescan and virtual overscan.
import type { ChipGeometry } from '../layout.ts';
import type { SimConfig } from './instruments.ts';
import type { Rng } from './rng.ts';

export interface ChipDetector {
  geom: ChipGeometry;
  amps: string[];
  flat: Float32Array;
  darkRate: Float32Array;
  /** Bias pattern in electrons on the raw grid (zero in the overscan). */
  biasPattern: Float32Array;
  /** Dead columns (output x, first row, length) — listed in the BPIXTAB. */
  badColumns: { x: number; y: number; length: number }[];
  /** Per amp: level = a + b·row (DN) and a column drift c + d·k over the amp's columns (DN). */
  levels: { a: number; b: number; c: number; d: number }[];
  hotPixels: number;
  deadFlatPixels: number;
}

export function makeChipDetector(rng: Rng, cfg: SimConfig, geom: ChipGeometry, amps: string[]): ChipDetector {
  const { outNx: nx, outNy: ny } = geom;
  const flat = new Float32Array(nx * ny);
  const darkRate = new Float32Array(nx * ny);
  const p = [rng.normal() * 0.02, rng.normal() * 0.02, rng.normal() * 0.015];
  let hot = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const u = (2 * x) / nx - 1;
      const v = (2 * y) / ny - 1;
      flat[y * nx + x] = (1 + p[0] * u + p[1] * v + p[2] * (u * u - v * v)) * (1 + 0.01 * rng.normal());
      let d = cfg.dark * (1 + 0.1 * rng.normal());
      if (rng.uniform() < 0.002) {
        d += 0.05 + rng.uniform() * 0.8;
        hot++;
      }
      darkRate[y * nx + x] = Math.max(d, 0);
    }
  }
  // A dead 3×3 patch where the flat is 0 (calibration must flag 512 there).
  const px = 20 + rng.int(nx - 40);
  const py = 20 + rng.int(ny - 40);
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) flat[(py + dy) * nx + px + dx] = 0;
  const badColumns = [0, 1].map(() => {
    const y = rng.int(ny >> 1);
    return { x: 10 + rng.int(nx - 20), y, length: Math.min(ny - y, 40 + rng.int(ny >> 1)) };
  });
  const biasPattern = new Float32Array(geom.nx * geom.ny);
  for (const a of geom.amps) {
    const warm = a.srcX0 + rng.int(a.width);
    for (let oy = 0; oy < ny; oy++) {
      const ry = geom.rowStart + oy;
      for (let k = 0; k < a.width; k++) {
        const rx = a.srcX0 + k;
        biasPattern[ry * geom.nx + rx] = 1.5 * rng.normal() + (rx === warm ? 8 : 0);
      }
    }
  }
  const levels = amps.map((amp) => ({
    a: cfg.amps[amp].bias + rng.normal() * 3,
    b: (rng.uniform() * 2 - 1) * 2e-3,
    c: 0,
    d: (rng.uniform() * 2 - 1) * (2 / geom.amps[0].width),
  }));
  return { geom, amps, flat, darkRate, biasPattern, badColumns, levels, hotPixels: hot, deadFlatPixels: 9 };
}

/** True where a dead column removes the photo-response. */
export function deadMask(det: ChipDetector): Uint8Array {
  const { outNx: nx } = det.geom;
  const m = new Uint8Array(det.flat.length);
  for (const c of det.badColumns) for (let y = c.y; y < c.y + c.length; y++) m[y * nx + c.x] = 1;
  return m;
}

/**
 * Reads out one exposure: `electrons` (trimmed grid, after Poisson, cosmic rays and the full-well
 * clip) plus the bias pattern and read noise, converted to DN with the amp gain, on top of the
 * amp's bias level; the overscan carries bias and read noise only. Values are clipped to 16 bits.
 */
export function readOut(rng: Rng, cfg: SimConfig, det: ChipDetector, electrons: Float32Array): Uint16Array {
  const { geom } = det;
  const raw = new Uint16Array(geom.nx * geom.ny);
  const ampOf = new Int8Array(geom.nx).fill(-1);
  const kOf = new Int32Array(geom.nx);
  geom.amps.forEach((a, ai) => {
    for (let k = 0; k < a.width; k++) {
      ampOf[a.srcX0 + k] = ai;
      kOf[a.srcX0 + k] = k;
    }
  });
  // Overscan columns belong to the amp on their side of the chip.
  const half = geom.nx >> 1;
  for (let ry = 0; ry < geom.ny; ry++) {
    const oy = ry - geom.rowStart;
    const inRows = oy >= 0 && oy < geom.outNy;
    for (let rx = 0; rx < geom.nx; rx++) {
      const sci = ampOf[rx];
      const ai = sci >= 0 ? sci : geom.amps.length === 2 && rx >= half ? 1 : 0;
      const amp = cfg.amps[det.amps[ai]];
      const lv = det.levels[ai];
      let dn = lv.a + lv.b * ry + (amp.rn / amp.gain) * rng.normal();
      if (sci >= 0) {
        dn += lv.c + lv.d * kOf[rx];
        if (inRows) {
          const o = oy * geom.outNx + geom.amps[sci].outX0 + kOf[rx];
          dn += (electrons[o] + det.biasPattern[ry * geom.nx + rx]) / amp.gain;
        }
      }
      const v = Math.round(dn);
      raw[ry * geom.nx + rx] = v < 0 ? 0 : Math.min(v, 65535);
    }
  }
  return raw;
}
