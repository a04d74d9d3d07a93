// Opcodes of the WebAssembly instructions the kernels use (core 2.0 with 128-bit SIMD). The
// tables hold only instructions that test/calib/wasm.test.ts runs against JavaScript's
// arithmetic (a test fails when an entry here has no such check), so a wrong number fails a test
// rather than a calibration. Add an instruction together with its check.

/** Core instructions without immediates, plus the local.* family. */
export const SCALAR: Record<string, number> = {
  'local.get': 0x20,
  'local.set': 0x21,
  'local.tee': 0x22,
  'i32.eqz': 0x45,
  'i32.lt_u': 0x49,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
};

/** Core loads and stores: opcode and natural alignment (log2 bytes). */
export const SCALAR_MEMORY: Record<string, [number, number]> = {
  'i32.load': [0x28, 2],
  'i32.store': [0x36, 2],
};

/** SIMD loads and stores (after the 0xFD prefix): opcode and natural alignment (log2 bytes). */
export const SIMD_MEMORY: Record<string, [number, number]> = {
  'v128.load': [0, 4],
  'v128.store': [11, 4],
};

export const SIMD_SHUFFLE = 'i8x16.shuffle';

/** SIMD instructions without immediates. */
export const SIMD: Record<string, number> = {
  'i16x8.splat': 16,
  'f32x4.splat': 19,
  'i16x8.eq': 45,
  'f32x4.eq': 65,
  'f32x4.gt': 68,
  'f32x4.ge': 70,
  'v128.and': 78,
  'v128.or': 80,
  'v128.bitselect': 82,
  'v128.any_true': 83,
  'f64x2.promote_low_f32x4': 95,
  'i16x8.narrow_i32x4_u': 134,
  'i32x4.extend_low_i16x8_s': 167,
  'i32x4.extend_high_i16x8_s': 168,
  'i32x4.extend_low_i16x8_u': 169,
  'i32x4.extend_high_i16x8_u': 170,
  'i32x4.add': 174,
  'i32x4.sub': 177,
  'f32x4.abs': 224,
  'f32x4.sqrt': 227,
  'f32x4.add': 228,
  'f32x4.sub': 229,
  'f32x4.mul': 230,
  'f32x4.div': 231,
  'f32x4.pmin': 234,
  'f32x4.pmax': 235,
  'f64x2.add': 240,
  'f32x4.convert_i32x4_s': 250,
};
