// `caldera fits table`: rows of a binary or ASCII table as JSON or CSV.
import type { Command } from 'commander';
import { type Column, readTable } from '../fits/index.ts';
import { CliError } from './errors.ts';
import { selectHdu, withFits } from './fits-select.ts';
import { type CliIO, toJson } from './io.ts';

/** The value of one column in one row, as plain JSON-able data. */
export function cellValue(col: Column, row: number): unknown {
  const v = col.values;
  if (col.kind === 'vla') return plain((v as unknown[])[row]);
  const per = col.kind === 'complex' ? col.repeat * 2 : col.repeat;
  if (col.kind === 'string' || col.kind === 'logical') {
    const arr = v as unknown[];
    return col.repeat === 1 ? arr[row] : arr.slice(row * col.repeat, (row + 1) * col.repeat);
  }
  const arr = v as ArrayLike<number | bigint>;
  const at = (i: number) => (v instanceof Float32Array ? shortestFloat32(v[i]) : arr[i]);
  if (col.kind === 'complex') {
    const out = [];
    for (let i = 0; i < col.repeat; i++)
      out.push({ re: at(row * per + 2 * i), im: at(row * per + 2 * i + 1) });
    return col.repeat === 1 ? out[0] : out;
  }
  if (per === 1) return at(row);
  return Array.from({ length: per }, (_, i) => at(row * per + i));
}

function plain(v: unknown): unknown {
  if (v instanceof Float32Array) return Array.from(v, shortestFloat32);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>);
  return v;
}

/** The shortest decimal that reads back as the same float32 (3.7, not 3.7000000715255736). */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : toJson(v, 0);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerFitsTableCommands(fits: Command, io: CliIO): void {
  fits
    .command('table')
    .description('Print the rows of a table HDU as JSON or CSV.')
    .argument('<file>')
    .option('--hdu <ref>', 'HDU number, NAME or NAME,VER (default: first table)')
    .option('--columns <names>', 'comma-separated column names or numbers')
    .option('--rows <a:b>', 'row range, 0-based, end exclusive')
    .option('--format <fmt>', 'json or csv', 'json')
    .option('--trim', 'strip trailing blanks from strings (astropy element access)')
    .option('--json', 'same as --format json')
    .action(
      (
        file: string,
        opts: {
          hdu?: string;
          columns?: string;
          rows?: string;
          format: string;
          trim?: boolean;
          json?: boolean;
        },
      ) => {
        const format = opts.json ? 'json' : opts.format;
        if (format !== 'json' && format !== 'csv')
          throw new CliError(`--format must be json or csv, got '${format}'`);
        const rows = parseRows(opts.rows);
        const columns = opts.columns?.split(',').map((c) => (/^\d+$/.test(c.trim()) ? Number(c) : c.trim()));
        withFits(file, (f) => {
          const hdu =
            opts.hdu === undefined
              ? f.hdus.find((h) => h.kind === 'BINTABLE' || h.kind === 'TABLE')
              : selectHdu(f, opts.hdu);
          if (!hdu) throw new CliError(`${file} has no table HDU`, 'E_NO_TABLE', 1);
          const table = readTable(hdu, { columns, rows, trimStrings: opts.trim });
          const names = table.columns.map((c) => c.name || `col${c.number}`);
          const n = table.nrows;
          if (format === 'csv') {
            io.out(names.map(csvCell).join(','));
            for (let r = 0; r < n; r++) io.out(table.columns.map((c) => csvCell(cellValue(c, r))).join(','));
            return;
          }
          const out = [];
          for (let r = 0; r < n; r++)
            out.push(Object.fromEntries(table.columns.map((c, i) => [names[i], cellValue(c, r)])));
          io.out(toJson(out));
        });
      },
    );
}

function parseRows(spec: string | undefined): [number, number] | undefined {
  if (spec === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(spec);
  if (!m || Number(m[2]) < Number(m[1])) throw new CliError(`--rows must look like START:END, got '${spec}'`);
  return [Number(m[1]), Number(m[2])];
}
