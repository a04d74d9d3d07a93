// The simulated sky on a chip's trimmed grid: flat sky, stars (pixel-integrated Gaussian PSF, so a
// star's pixels sum to its flux), galaxies (exponential discs, sampled 4×4 per pixel and
// normalised to their flux), and cosmic rays (short tracks with a faint halo).
import type { Rng } from './rng.ts';

export interface Star {
  x: number;
  y: number;
  /** Electrons per second. */
  rate: number;
}

export interface Galaxy extends Star {
  re: number;
  q: number;
  pa: number;
}

export interface CosmicRay {
  x: number;
  y: number;
  /** Electrons in the brightest pixel, and pixels touched. */
  peak: number;
  pixels: number;
}

export const PSF_SIGMA = 1.1;

export function makeStars(rng: Rng, nx: number, ny: number, n: number, bright: number): Star[] {
  const out: Star[] = [];
  for (let i = 0; i < n; i++) {
    // Log-uniform rates, plus a few bright enough to saturate in a normal exposure.
    const rate = i < bright ? 10 ** (3.7 + rng.uniform() * 0.6) : 10 ** (0.5 + rng.uniform() * 2.5);
    out.push({ x: 6 + rng.uniform() * (nx - 12), y: 6 + rng.uniform() * (ny - 12), rate });
  }
  return out;
}

export function makeGalaxies(rng: Rng, nx: number, ny: number, n: number): Galaxy[] {
  const out: Galaxy[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      x: 15 + rng.uniform() * (nx - 30),
      y: 15 + rng.uniform() * (ny - 30),
      rate: 10 ** (1 + rng.uniform() * 1.5),
      re: 1.5 + rng.uniform() * 3,
      q: 0.3 + rng.uniform() * 0.7,
      pa: rng.uniform() * Math.PI,
    });
  }
  return out;
}

/** erf with |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26). */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

/** Adds stars (rate × t electrons) to `img` (nx × ny); the PSF is integrated over each pixel. */
export function renderStars(img: Float32Array, nx: number, ny: number, stars: Star[], t: number): void {
  const r = Math.ceil(PSF_SIGMA * 6);
  const k = 1 / (Math.SQRT2 * PSF_SIGMA);
  const fx = new Float64Array(2 * r + 1);
  const fy = new Float64Array(2 * r + 1);
  for (const s of stars) {
    const cx = Math.round(s.x);
    const cy = Math.round(s.y);
    // Pixel i covers [i - 0.5, i + 0.5): its share of a 1-D Gaussian is a difference of erfs.
    for (let d = -r; d <= r; d++) {
      fx[d + r] = 0.5 * (erf((cx + d + 0.5 - s.x) * k) - erf((cx + d - 0.5 - s.x) * k));
      fy[d + r] = 0.5 * (erf((cy + d + 0.5 - s.y) * k) - erf((cy + d - 0.5 - s.y) * k));
    }
    const f = s.rate * t;
    for (let dy = -r; dy <= r; dy++) {
      const y = cy + dy;
      if (y < 0 || y >= ny) continue;
      for (let dx = -r; dx <= r; dx++) {
        const x = cx + dx;
        if (x < 0 || x >= nx) continue;
        img[y * nx + x] += f * fx[dx + r] * fy[dy + r];
      }
    }
  }
}

export function renderGalaxies(img: Float32Array, nx: number, ny: number, gals: Galaxy[], t: number): void {
  for (const g of gals) {
    const r = Math.ceil(g.re * 6);
    const cos = Math.cos(g.pa);
    const sin = Math.sin(g.pa);
    const w: number[] = [];
    let total = 0;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        let v = 0;
        for (let sy = 0; sy < 4; sy++) {
          for (let sx = 0; sx < 4; sx++) {
            const px = Math.round(g.x) + dx + (sx + 0.5) / 4 - 0.5 - g.x;
            const py = Math.round(g.y) + dy + (sy + 0.5) / 4 - 0.5 - g.y;
            const u = px * cos + py * sin;
            const vv = (-px * sin + py * cos) / g.q;
            v += Math.exp(-Math.sqrt(u * u + vv * vv) / (g.re / 1.678));
          }
        }
        w.push(v);
        total += v;
      }
    }
    let i = 0;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++, i++) {
        const x = Math.round(g.x) + dx;
        const y = Math.round(g.y) + dy;
        if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
        img[y * nx + x] += (g.rate * t * w[i]) / total;
      }
    }
  }
}

/**
 * Cosmic rays: `n` events, each a track of 1–5 pixels with 300–6000 e- per pixel along it and
 * 5–15 % of that in the 8 neighbours. Deposits go into `dep`; returns the events.
 */
export function addCosmicRays(rng: Rng, dep: Float32Array, nx: number, ny: number, n: number): CosmicRay[] {
  const out: CosmicRay[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(5);
    const ang = rng.uniform() * 2 * Math.PI;
    const x0 = rng.uniform() * nx;
    const y0 = rng.uniform() * ny;
    const level = 300 + rng.uniform() * 5700;
    let peak = 0;
    let peakX = Math.floor(x0);
    let peakY = Math.floor(y0);
    const touched = new Set<number>();
    for (let s = 0; s < len; s++) {
      const x = Math.floor(x0 + s * Math.cos(ang));
      const y = Math.floor(y0 + s * Math.sin(ang));
      if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
      const e = level * (0.6 + 0.8 * rng.uniform());
      dep[y * nx + x] += e;
      touched.add(y * nx + x);
      if (e > peak) {
        peak = e;
        peakX = x;
        peakY = y;
      }
      const halo = e * (0.05 + 0.1 * rng.uniform());
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if ((dx || dy) && xx >= 0 && yy >= 0 && xx < nx && yy < ny) {
            dep[yy * nx + xx] += halo * (dx && dy ? 0.5 : 1);
            touched.add(yy * nx + xx);
          }
        }
      }
    }
    if (peak > 0) out.push({ x: peakX, y: peakY, peak, pixels: touched.size });
  }
  return out;
}
