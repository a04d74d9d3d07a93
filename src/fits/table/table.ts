// The Table returned by readTable: decoded columns plus the stored rows, so the raw bytes of any
// field stay available (verify, diff and the truth tests hash them).
import { FitsError, type FitsErrorWhere } from '../errors.ts';
import type { Header } from '../header.ts';
import type { Column } from './types.ts';

/** Where a field lives in a row, for every column of the HDU (decoded or not). */
export interface FieldPlace {
  number: number;
  name: string;
  offset: number;
  width: number;
}

export class Table {
  readonly kind: 'BINTABLE' | 'TABLE';
  /** Rows read (the whole table, or the requested range). */
  readonly nrows: number;
  /** Index of the first row read. */
  readonly firstRow: number;
  readonly columns: Column[];
  /** Non-fatal departures from the standard (e.g. a TDIM that does not fit, ignored as astropy does). */
  readonly problems: string[];
  private readonly readField: (place: FieldPlace) => Uint8Array;
  private readonly places: FieldPlace[];
  private readonly where: FitsErrorWhere;

  constructor(init: {
    kind: 'BINTABLE' | 'TABLE';
    nrows: number;
    firstRow: number;
    columns: Column[];
    problems: string[];
    /** Gathers one field's stored bytes over the rows read (re-reads the HDU when needed). */
    readField: (place: FieldPlace) => Uint8Array;
    places: FieldPlace[];
    where: FitsErrorWhere;
  }) {
    this.kind = init.kind;
    this.nrows = init.nrows;
    this.firstRow = init.firstRow;
    this.columns = init.columns;
    this.problems = init.problems;
    this.readField = init.readField;
    this.places = init.places;
    this.where = init.where;
  }

  /** A decoded column by TTYPE (case-insensitive) or 1-based column number. */
  column(ref: string | number): Column {
    const col =
      typeof ref === 'number'
        ? this.columns.find((c) => c.number === ref)
        : this.columns.find((c) => c.name.toLowerCase() === ref.trim().toLowerCase());
    if (!col) {
      const names = this.columns.map((c) => c.name || `#${c.number}`).join(', ');
      throw new FitsError(`no column ${JSON.stringify(ref)} was read (columns: ${names})`, this.where);
    }
    return col;
  }

  /** The fixed-width field bytes of every row read, concatenated, exactly as stored. */
  fieldBytes(ref: string | number): Uint8Array {
    const place =
      typeof ref === 'number'
        ? this.places.find((p) => p.number === ref)
        : this.places.find((p) => p.name.toLowerCase() === ref.trim().toLowerCase());
    if (!place) throw new FitsError(`the table has no column ${JSON.stringify(ref)}`, this.where);
    return this.readField(place);
  }
}

/** TUNIT/TNULL/TSCAL/TZERO of column n, as the header gives them. */
export function columnKeywords(
  header: Header,
  n: number,
): Pick<Column, 'unit' | 'null' | 'bscale' | 'bzero'> {
  const unit = header.get(`TUNIT${n}`);
  const tnull = header.get(`TNULL${n}`);
  const tscal = header.get(`TSCAL${n}`);
  const tzero = header.get(`TZERO${n}`);
  const out: Pick<Column, 'unit' | 'null' | 'bscale' | 'bzero'> = {
    unit: typeof unit === 'string' ? unit : '',
  };
  if (typeof tnull === 'number' || typeof tnull === 'bigint' || typeof tnull === 'string') out.null = tnull;
  if (typeof tscal === 'number' || typeof tscal === 'bigint') out.bscale = Number(tscal);
  if (typeof tzero === 'number' || typeof tzero === 'bigint') out.bzero = tzero;
  return out;
}

/** Resolves the `columns` option against the HDU's columns; unknown names are errors. */
export function selectColumns(places: FieldPlace[], refs: (string | number)[] | undefined): FieldPlace[] {
  if (!refs) return places;
  return refs.map((ref) => {
    const p =
      typeof ref === 'number'
        ? places.find((c) => c.number === ref)
        : places.find((c) => c.name.toLowerCase() === ref.trim().toLowerCase());
    if (!p) {
      const names = places.map((c) => c.name || `#${c.number}`).join(', ');
      throw new FitsError(`the table has no column ${JSON.stringify(ref)} (columns: ${names})`);
    }
    return p;
  });
}

/** Checks and resolves the `rows` option to [start, end). */
export function selectRows(nrows: number, rows: [number, number] | undefined): [number, number] {
  if (!rows) return [0, nrows];
  const [start, end] = rows;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= nrows && start <= end)) {
    throw new FitsError(`row range [${start}, ${end}) is outside the table's ${nrows} rows`);
  }
  return [start, end];
}

/** "column 3 'FLUX'" for messages. */
export function columnLabel(number: number, name: string): string {
  return name ? `column ${number} '${name}'` : `column ${number}`;
}
