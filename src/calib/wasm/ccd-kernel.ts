// The CCD sweep's common-case kernel in WebAssembly SIMD, eight pixels per loop turn as two f32x4
// groups: single-precision arithmetic (what calacs does in C, and four pixels per instruction),
// with the flag counts and, with the 2-D terms, the statistics taken in the same turn. The
// JavaScript kernels round every operation to float32 the same way (Math.fround), so both give
// the same pixels to the bit. JavaScript has no vector arithmetic; this takes the sweep from
// about 14 ns per pixel to under 2.
import type { WasmFunc } from './assemble.ts';

/**
 * Byte layout of the results a call leaves at its `out` address: per-lane partial results that
 * the caller merges. n, min, max, smin, smax and the flag counts have four lanes (pixel phase
 * mod 4); the sums two float64 lanes (even and odd pixels, the order rowStats adds them in).
 */
export const CCD_OUT = {
  /** i32x4 */
  n: 0,
  /** f32x4 */
  min: 16,
  max: 32,
  /** f64x2 */
  sum: 48,
  /** f32x4 */
  smin: 64,
  smax: 80,
  /** f64x2 */
  ssum: 96,
  /** i32x4 */
  atod: 112,
  sat: 128,
  bytes: 144,
};

const HIGH_TO_LOW = 'i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7';

/** Which optional terms a kernel variant reads. */
export interface CcdVariant {
  /** The 2-D terms (dark × DARKTIME, 1/flat) and the statistics. */
  post: boolean;
  /** The bias reference's ERR plane (added in quadrature, scaled like the bias). */
  biasErr: boolean;
  /** The bias reference's DQ plane (OR-ed into DQ). */
  biasDq: boolean;
}

/** One group of four pixels (X = A or B, at byte offset `off` of the float32 rows). */
function group(x: 'A' | 'B', off: number, v: CcdVariant): string {
  const post = v.post;
  const widen = x === 'A' ? 'i32x4.extend_low_i16x8_u' : 'i32x4.extend_high_i16x8_u';
  const ld = (ptr: string) => `local.get $${ptr} v128.load offset=${off}`;
  const sci = post
    ? `${ld('inv')} local.set $f${x}
       local.get $s${x} ${ld('dark')} local.get $dt f32x4.mul f32x4.sub local.get $f${x} f32x4.mul`
    : `local.get $s${x}`;
  const errScale = post ? `local.get $f${x} f32x4.abs f32x4.mul` : '';
  const badFlat = post ? `local.get $f${x} local.get $zero f32x4.eq local.get $kFlat v128.and v128.or` : '';
  return `
    local.get $raw8 ${widen} f32x4.convert_i32x4_s local.set $r
    ;; s0 = ((raw - level) - drift) * gain - bias * bScale
    local.get $r local.get $lvl f32x4.sub ${ld('drift')} f32x4.sub local.get $g f32x4.mul
    ${ld('bias')} local.get $bScale f32x4.mul f32x4.sub local.set $s${x}
    ${sci} local.set $sc${x}
    local.get $sci local.get $sc${x} v128.store offset=${off}
    ;; ERR = sqrt((base + (bias err * bScale)²) + max(s0, 0)) (* |1/flat|)
    local.get $base ${v.biasErr ? `${ld('bErr')} local.get $bScale f32x4.mul local.tee $m local.get $m f32x4.mul f32x4.add` : ''}
    local.get $s${x} local.get $zero f32x4.pmax f32x4.add f32x4.sqrt ${errScale} local.set $e${x}
    local.get $err local.get $e${x} v128.store offset=${off}
    ;; flags: A-to-D saturation, full well (counted as set), flat of zero
    local.get $r local.get $atod f32x4.ge local.tee $m
    local.get $cntA local.get $m i32x4.sub local.set $cntA
    local.get $kAtod v128.and
    local.get $s${x} local.get $sat f32x4.gt local.tee $m
    local.get $cntS local.get $m i32x4.sub local.set $cntS
    local.get $kSat v128.and v128.or
    ${badFlat}
    local.set $flags${x}`;
}

/** Adds the f32x4 `v` (masked by `mask` when given) to the f64x2 `acc`: lanes 0, 2 → 0 and 1, 3 → 1. */
function addPairs(acc: string, v: string, mask?: string): string {
  const src = mask
    ? `local.get $${v} local.get $${mask} v128.and local.tee $tmp`
    : `local.get $${v} local.tee $tmp`;
  return `local.get $${acc} ${src} f64x2.promote_low_f32x4 f64x2.add
    local.get $tmp local.get $tmp ${HIGH_TO_LOW} f64x2.promote_low_f32x4 f64x2.add local.set $${acc}`;
}

/** min/max of `v` into `acc`; with a mask only its lanes count. pmin/pmax: a NaN never wins. */
function extreme(acc: string, v: string, op: 'pmin' | 'pmax', mask?: string): string {
  const next = `local.get $${acc} local.get $${v} f32x4.${op}`;
  return mask
    ? `${next} local.get $${acc} local.get $${mask} v128.bitselect local.set $${acc}`
    : `${next} local.set $${acc}`;
}

/** Statistics of one group (SNR = sci / err where err > 0, else 0), all four pixels or `mask`'s. */
function groupStats(x: 'A' | 'B', mask?: string): string {
  return `
    local.get $sc${x} local.get $e${x} f32x4.div local.get $e${x} local.get $zero f32x4.gt v128.and local.set $snr
    ${extreme('min', `sc${x}`, 'pmin', mask)} ${extreme('max', `sc${x}`, 'pmax', mask)}
    ${addPairs('sum', `sc${x}`, mask)}
    ${extreme('smin', 'snr', 'pmin', mask)} ${extreme('smax', 'snr', 'pmax', mask)}
    ${addPairs('ssum', 'snr', mask)}`;
}

/**
 * Statistics over the good pixels (no serious DQ flag) from the stored values. Nearly every group
 * of eight is all good, and takes the branch without masks.
 */
const STATS = `
  local.get $d local.get $sdq v128.and local.tee $m v128.any_true
  if
    local.get $m local.get $zero i16x8.eq local.tee $m i32x4.extend_low_i16x8_s local.set $goodA
    local.get $m i32x4.extend_high_i16x8_s local.set $goodB
    local.get $n local.get $goodA i32x4.sub local.get $goodB i32x4.sub local.set $n
    ${groupStats('A', 'goodA')} ${groupStats('B', 'goodB')}
  else
    local.get $n local.get $two32 i32x4.add local.set $n
    ${groupStats('A')} ${groupStats('B')}
  end`;

const PTRS = ['raw', 'drift', 'bias', 'bErr', 'bDq', 'dark', 'inv', 'sci', 'err', 'dq', 'dqIn'];
const F32_SPLATS = ['lvl', 'g', 'bScale', 'dt', 'atod', 'sat', 'base'];
const V128_LOCALS = [
  ...F32_SPLATS,
  ...['zero', 'two32', 'kAtod', 'kSat', 'kFlat', 'dq0', 'sdq', 'raw8', 'r', 'm', 'tmp', 'd', 'snr'],
  ...['sA', 'sB', 'fA', 'fB', 'scA', 'scB', 'eA', 'eB', 'flagsA', 'flagsB', 'goodA', 'goodB'],
  ...['n', 'min', 'max', 'sum', 'smin', 'smax', 'ssum', 'cntA', 'cntS'],
];

/** The exported name of a variant's function. */
export function ccdRowName(v: CcdVariant): string {
  return `ccd_row${v.post ? '_post' : ''}${v.biasErr ? '_berr' : ''}${v.biasDq ? '_bdq' : ''}`;
}

function ccdRow(v: CcdVariant): WasmFunc {
  const post = v.post;
  const name = ccdRowName(v);
  const store = (k: keyof typeof CCD_OUT) => `local.get $out local.get $${k} v128.store offset=${CCD_OUT[k]}`;
  const step = (p: string, bytes: number) => `local.get $${p} i32.const ${bytes} i32.add local.set $${p}`;
  return {
    name,
    params: {
      ...Object.fromEntries(PTRS.map((p) => [`${p}Ptr`, 'i32' as const])),
      out: 'i32',
      count: 'i32',
      ...Object.fromEntries(F32_SPLATS.map((k) => [`${k}S`, 'f32' as const])),
      dq0S: 'i32',
      sdqS: 'i32',
    },
    locals: {
      ...Object.fromEntries(PTRS.map((p) => [p, 'i32' as const])),
      i: 'i32',
      ...Object.fromEntries(V128_LOCALS.map((k) => [k, 'v128' as const])),
    },
    body: `
      ${PTRS.map((p) => `local.get $${p}Ptr local.set $${p}`).join(' ')}
      ${F32_SPLATS.map((k) => `local.get $${k}S f32x4.splat local.set $${k}`).join(' ')}
      v128.const i32x4 2 2 2 2 local.set $two32
      v128.const i32x4 2048 2048 2048 2048 local.set $kAtod
      v128.const i32x4 256 256 256 256 local.set $kSat
      v128.const i32x4 512 512 512 512 local.set $kFlat
      local.get $dq0S i16x8.splat local.set $dq0
      local.get $sdqS i16x8.splat local.set $sdq
      f32.const inf f32x4.splat local.tee $min local.set $smin
      f32.const -inf f32x4.splat local.tee $max local.set $smax
      block $done
        local.get $count i32.eqz br_if $done
        loop $next
          local.get $raw v128.load local.set $raw8
          ${group('A', 0, v)}
          ${group('B', 16, v)}
          ;; the eight flags to 16-bit lanes, OR-ed into DQ with the raw DQ constant
          local.get $flagsA local.get $flagsB i16x8.narrow_i32x4_u
          local.get $dqIn v128.load v128.or local.get $dq0 v128.or
          ${v.biasDq ? 'local.get $bDq v128.load v128.or' : ''} local.set $d
          local.get $dq local.get $d v128.store
          ${post ? STATS : ''}
          ${step('raw', 16)} ${step('dq', 16)} ${step('dqIn', 16)} ${step('bDq', 16)}
          ${['drift', 'bias', 'bErr', 'dark', 'inv', 'sci', 'err'].map((p) => step(p, 32)).join(' ')}
          local.get $i i32.const 8 i32.add local.tee $i
          local.get $count i32.lt_u br_if $next
        end
      end
      ${(['n', 'min', 'max', 'sum', 'smin', 'smax', 'ssum'] as const).map(store).join(' ')}
      local.get $out local.get $cntA v128.store offset=${CCD_OUT.atod}
      local.get $out local.get $cntS v128.store offset=${CCD_OUT.sat}`,
  };
}

/** Every variant: with or without the 2-D terms, the bias ERR plane and the bias DQ plane. */
export const CCD_ROWS: WasmFunc[] = [false, true].flatMap((post) =>
  [false, true].flatMap((biasErr) => [false, true].map((biasDq) => ccdRow({ post, biasErr, biasDq }))),
);
