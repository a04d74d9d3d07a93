// What the table readers return. Values are physical (TSCAL/TZERO applied as astropy does) in
// native typed arrays; fixed-width repeat > 1 columns are flat (row-major, `repeat` per row).
import type { ImageArray } from '../image.ts';

export type ColumnKind = 'logical' | 'bit' | 'int' | 'float' | 'complex' | 'string' | 'vla';

/** Element kinds (the same list minus 'vla'): what a VLA row holds. */
export type ElementKind = Exclude<ColumnKind, 'vla'>;

/** One row of a variable-length array column. */
export type VlaRow = ImageArray | string | (boolean | null)[];

/**
 * Column values by kind: int/float → typed array (flat, nrows × repeat); complex → Float32Array or
 * Float64Array of interleaved (re, im); bit → Uint8Array of 0/1 (nrows × repeat bits); logical →
 * (boolean|null)[] (a 0x00 byte is null); string → string[] (nrows × strings per row); vla → one
 * entry per row.
 */
export type ColumnValues = ImageArray | string[] | (boolean | null)[] | VlaRow[];

export interface Column {
  /** TTYPEn ('' when absent). */
  name: string;
  /** 1-based column number n. */
  number: number;
  /** TFORMn as written in the header. */
  tform: string;
  /** TUNITn ('' when absent). */
  unit: string;
  /** TDIMn in FITS order (fastest axis first), when present and consistent. */
  dim?: number[];
  kind: ColumnKind;
  /** For 'vla': the kind of each row's elements; otherwise equals `kind`. */
  elementKind: ElementKind;
  /**
   * Elements per row in `values`: numbers, complex numbers (values hold 2× as many), bits,
   * logicals, or strings (1 unless TDIM splits a character field). 1 for VLA columns.
   */
  repeat: number;
  /** Bytes the field occupies in a row (the width fieldBytes() uses). */
  width: number;
  /** TNULLn: integer for binary tables, the string for ASCII tables. */
  null?: number | bigint | string;
  /** TSCALn / TZEROn when present. */
  bscale?: number;
  bzero?: number | bigint;
  values: ColumnValues;
  /**
   * 1 per element whose stored value is undefined: equal to TNULLn (binary-table integer columns)
   * or a blank/TNULL field (ASCII numeric columns). Present only when TNULLn is set (ASCII: when
   * any field is null). astropy returns the stored value (binary) or 0 (ASCII) there.
   */
  nulls?: Uint8Array;
}

export interface ReadTableOptions {
  /** Columns to decode (TTYPE, case-insensitive, or 1-based number); default all. */
  columns?: (string | number)[];
  /** Row range [start, end), 0-based; default all rows. */
  rows?: [number, number];
  /**
   * Strings: by default trailing NUL bytes are dropped and blanks kept (numpy's view of the
   * field, which is what astropy's arrays hold); true also strips trailing blanks (what
   * astropy's chararray gives element by element).
   */
  trimStrings?: boolean;
}
