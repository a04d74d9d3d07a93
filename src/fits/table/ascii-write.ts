// Encodes ASCII tables (XTENSION = 'TABLE'): every field is right-justified text of a Fortran
// format (Aw Iw Fw.d Ew.d Dw.d) at TBCOLn, one blank between fields. Values that do not fit
// their width are errors (never silently truncated); NaN/null numbers are written as TNULLn.
import type { CardValue } from '../card.ts';
import { FitsError } from '../errors.ts';
import { Header } from '../header.ts';
import { type AsciiFormat, parseAsciiTform } from './ascii.ts';

export interface AsciiColumnSpec {
  name: string;
  /** Aw, Iw, Fw.d, Ew.d or Dw.d. */
  format: string;
  unit?: string;
  /** Written for NaN (numbers) and null entries; default '' (a blank field). */
  null?: string;
  data: ArrayLike<number | bigint | null> | (string | null)[];
}

export interface AsciiTableSpec {
  columns: AsciiColumnSpec[];
  header?: Header | [string, CardValue, string?][];
  name?: string;
  ver?: number;
}

export interface EncodedAsciiTable {
  header: Header;
  /** Rows only (no padding; the writer pads with blanks, as the standard requires for TABLE). */
  data: Uint8Array;
}

/** Formats one value into exactly `f.width` characters, or throws saying what does not fit. */
export function formatAsciiField(
  v: number | bigint | string | null,
  f: AsciiFormat,
  nullText: string,
): string {
  let text: string;
  if (v === null || (typeof v === 'number' && Number.isNaN(v))) {
    // Null fields are left-justified: cfitsio compares the field's leading characters to TNULLn.
    if (nullText.length > f.width)
      throw new FitsError(`null string '${nullText}' does not fit in ${f.code}${f.width}`);
    return nullText.padEnd(f.width);
  } else if (f.code === 'A') text = String(v);
  else if (typeof v === 'string')
    throw new FitsError(`string '${v}' in a numeric ${f.code}${f.width} column`);
  else if (f.code === 'I') {
    if (typeof v === 'number' && !Number.isInteger(v))
      throw new FitsError(`${v} is not an integer for I${f.width}`);
    text = String(v);
  } else {
    const x = Number(v);
    if (!Number.isFinite(x)) throw new FitsError(`${x} cannot be written in an ASCII table`);
    const d = f.decimals ?? 0;
    if (f.code === 'F') text = x.toFixed(d);
    else {
      const [mant, exp] = x.toExponential(d).split('e');
      const e = Number(exp);
      text = `${mant}${f.code}${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
    }
  }
  if (/[^\x20-\x7e]/.test(text))
    throw new FitsError(`value '${text}' has characters outside printable ASCII`);
  if (text.length > f.width) throw new FitsError(`value '${text}' does not fit in ${f.code}${f.width}`);
  return f.code === 'A' ? text.padEnd(f.width) : text.padStart(f.width);
}

export function encodeAsciiTable(spec: AsciiTableSpec): EncodedAsciiTable {
  const cols = spec.columns;
  const nrows = cols.length ? cols[0].data.length : 0;
  const formats = cols.map((c, i) => {
    if (c.data.length !== nrows) {
      throw new FitsError(`column ${i + 1} '${c.name}' has ${c.data.length} rows, column 1 has ${nrows}`);
    }
    return parseAsciiTform(c.format);
  });
  const tbcol: number[] = [];
  let width = 0;
  formats.forEach((f, i) => {
    tbcol.push(width + 1 + (i > 0 ? 1 : 0));
    width += f.width + (i > 0 ? 1 : 0);
  });
  const data = new Uint8Array(width * nrows).fill(0x20);
  cols.forEach((c, i) => {
    const f = formats[i];
    const nullText = c.null ?? '';
    for (let r = 0; r < nrows; r++) {
      let field: string;
      try {
        field = formatAsciiField(c.data[r] as number | bigint | string | null, f, nullText);
      } catch (err) {
        if (err instanceof FitsError)
          throw new FitsError(`column ${i + 1} '${c.name}', row ${r}: ${err.reason}`);
        throw err;
      }
      const at = r * width + tbcol[i] - 1;
      for (let k = 0; k < field.length; k++) data[at + k] = field.charCodeAt(k);
    }
  });
  return { header: asciiHeader(spec, formats, tbcol, width, nrows), data };
}

function asciiHeader(
  spec: AsciiTableSpec,
  formats: AsciiFormat[],
  tbcol: number[],
  width: number,
  nrows: number,
): Header {
  const h = new Header();
  h.append('XTENSION', 'TABLE', 'ASCII table extension');
  h.append('BITPIX', 8, 'array data type');
  h.append('NAXIS', 2, 'number of array dimensions');
  h.append('NAXIS1', width, 'length of dimension 1');
  h.append('NAXIS2', nrows, 'length of dimension 2');
  h.append('PCOUNT', 0, 'number of group parameters');
  h.append('GCOUNT', 1, 'number of groups');
  h.append('TFIELDS', spec.columns.length, 'number of table fields');
  spec.columns.forEach((c, i) => {
    const n = i + 1;
    h.append(`TTYPE${n}`, c.name);
    h.append(`TBCOL${n}`, tbcol[i]);
    h.append(`TFORM${n}`, c.format.trim().toUpperCase());
    if (c.unit) h.append(`TUNIT${n}`, c.unit);
    if (c.null !== undefined) h.append(`TNULL${n}`, c.null);
    if (
      formats[i].code === 'A' &&
      c.null === undefined &&
      Array.from(c.data as ArrayLike<unknown>).includes(null)
    ) {
      throw new FitsError(`column ${n} '${c.name}' has null entries but no null string`);
    }
  });
  const user = spec.header instanceof Header ? spec.header : Header.from(spec.header ?? []);
  for (const card of user.cards) {
    if (
      /^(XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|TTYPE\d+|TBCOL\d+|TFORM\d+|TUNIT\d+|TNULL\d+|CHECKSUM|DATASUM)$/.test(
        card.key,
      )
    )
      continue;
    h.cards.push(card);
  }
  if (spec.name !== undefined) h.set('EXTNAME', spec.name, 'extension name');
  if (spec.ver !== undefined) h.set('EXTVER', spec.ver, 'extension version');
  return h;
}
