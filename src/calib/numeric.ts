// Small robust-statistics helpers on typed arrays: median by quickselect, clipped line fits and
// clipped mean/sigma. They work on scratch copies so callers' arrays are never reordered.

/** k-th smallest of a[0..n) (reorders a). Hoare-style quickselect, O(n) expected. */
export function quickselect(a: Float64Array | Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median of the first n values of a (reorders a); NaN when n = 0. Even n: mean of the middle two. */
export function medianInPlace(a: Float64Array | Float32Array, n: number): number {
  if (n === 0) return Number.NaN;
  const hi = quickselect(a, n, n >> 1);
  if (n & 1) return hi;
  let lo = a[0];
  for (let i = 1; i < n >> 1; i++) if (a[i] > lo) lo = a[i];
  return (lo + hi) / 2;
}

/** Median of an array (copied). */
export function median(values: ArrayLike<number>): number {
  const a = Float64Array.from(values as ArrayLike<number>);
  return medianInPlace(a, a.length);
}

export interface LineFit {
  intercept: number;
  slope: number;
  /** Residual standard deviation of the kept points. */
  sigma: number;
  used: number;
  rejected: number;
}

/**
 * Least-squares line y = a + b·x with iterative rejection of points beyond `nsigma` residual
 * sigmas (the overscan fit: a cosmic ray or hot column in one row must not tilt the bias).
 * NaN y values are ignored. Returns undefined with fewer than `minPoints` usable points.
 */
export function clippedLineFit(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  nsigma = 3,
  maxIter = 5,
  minPoints = 3,
): LineFit | undefined {
  const n = y.length;
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = Number.isFinite(y[i]) ? 1 : 0;
  let fit: LineFit | undefined;
  for (let iter = 0; iter <= maxIter; iter++) {
    fit = lineFit(x, y, keep);
    if (!fit || fit.used < minPoints) return undefined;
    if (fit.sigma === 0) return fit;
    let changed = 0;
    const lim = nsigma * fit.sigma;
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      if (Math.abs(y[i] - (fit.intercept + fit.slope * x[i])) > lim) {
        keep[i] = 0;
        changed++;
      }
    }
    if (changed === 0) break;
  }
  if (fit) fit.rejected = n - fit.used;
  return fit;
}

function lineFit(x: ArrayLike<number>, y: ArrayLike<number>, keep: Uint8Array): LineFit | undefined {
  // Centre x for numerical stability: rows run to 2000+ and slopes are ~1e-4.
  let n = 0;
  let sx = 0;
  for (let i = 0; i < y.length; i++) {
    if (keep[i]) {
      n++;
      sx += x[i];
    }
  }
  if (n < 2) return undefined;
  const mx = sx / n;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < y.length; i++) {
    if (!keep[i]) continue;
    const dx = x[i] - mx;
    sy += y[i];
    sxx += dx * dx;
    sxy += dx * y[i];
  }
  const my = sy / n;
  const slope = sxx > 0 ? sxy / sxx : 0;
  const a = my - slope * mx;
  let ss = 0;
  for (let i = 0; i < y.length; i++) {
    if (!keep[i]) continue;
    const r = y[i] - (a + slope * x[i]);
    ss += r * r;
  }
  return { intercept: a, slope, sigma: Math.sqrt(ss / Math.max(1, n - 2)), used: n, rejected: 0 };
}

/** Mean and standard deviation after iterative nsigma clipping about the median. */
export function clippedStats(
  values: Float64Array,
  nsigma = 3,
  maxIter = 5,
): { mean: number; sigma: number; n: number } {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  let mean = Number.NaN;
  let sigma = Number.NaN;
  let n = 0;
  for (let iter = 0; iter < maxIter; iter++) {
    let s = 0;
    let ss = 0;
    n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v >= lo && v <= hi) {
        s += v;
        ss += v * v;
        n++;
      }
    }
    if (n === 0) break;
    const m = s / n;
    const sd = Math.sqrt(Math.max(0, ss / n - m * m));
    if (m === mean && sd === sigma) break;
    mean = m;
    sigma = sd;
    lo = m - nsigma * sd;
    hi = m + nsigma * sd;
  }
  return { mean, sigma, n };
}

/**
 * Sky "mode" the way ACSREJ estimates it: the median of a sample after clipping at 3σ about the
 * median, refined as 3·median − 2·mean (the Pearson mode) when the distribution is skewed by sources.
 */
export function skyMode(
  data: Float32Array,
  mask: Uint16Array | undefined,
  badBits: number,
  stride = 7,
): number {
  const n = Math.ceil(data.length / stride);
  const sample = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < data.length; i += stride) {
    if (mask && mask[i] & badBits) continue;
    sample[m++] = data[i];
  }
  if (m === 0) return 0;
  const s = sample.subarray(0, m);
  const med = medianInPlace(s, m);
  let { mean, sigma } = clippedStats(s, 3);
  if (!Number.isFinite(sigma)) return med;
  // Second pass: clip about the median with the clipped sigma.
  let sum = 0;
  let cnt = 0;
  const kept = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    if (Math.abs(s[i] - med) <= 3 * sigma) {
      kept[cnt++] = s[i];
      sum += s[i];
    }
  }
  if (cnt === 0) return med;
  mean = sum / cnt;
  const kmed = medianInPlace(kept, cnt);
  return 3 * kmed - 2 * mean;
}
