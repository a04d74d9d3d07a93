// Mashup JSON replies ({status, data, fields, paging}) → typed rows, the way astroquery turns them into a
// masked astropy Table: `_selected_` dropped, nulls (and a column's ignoreValue) masked, columns in
// `fields` order. formatCell() prints a cell as str(table[i][col]) would.
import { MastError } from './errors.ts';
import { pyFloatRepr } from './pyjson.ts';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;
export type ColumnType = 'string' | 'int' | 'float' | 'boolean' | 'date';

export interface Column {
  name: string;
  type: ColumnType;
}

export interface MastTable {
  columns: Column[];
  rows: Row[];
}

export interface MashupField {
  name: string;
  type: string;
}

export interface MashupReply {
  status?: string;
  msg?: string;
  data?: Record<string, unknown>[];
  fields?: MashupField[];
  paging?: {
    page: number;
    pageSize: number;
    pagesFiltered: number;
    rows: number;
    rowsFiltered: number;
    rowsTotal: number;
  };
}

export type ColumnsConfig = Record<string, { ignoreValue?: unknown; [k: string]: unknown }>;

function normType(t: string): ColumnType {
  const l = t.toLowerCase();
  if (l === 'int' || l === 'integer' || l === 'long' || l === 'short') return 'int';
  if (l === 'float' || l === 'double' || l === 'real' || l === 'numeric') return 'float';
  if (l === 'boolean') return 'boolean';
  if (l === 'date') return 'date';
  return 'string';
}

function coerce(v: unknown, type: ColumnType): Cell {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'int':
    case 'float': {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isNaN(n) && typeof v !== 'number' ? null : n;
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : String(v).toLowerCase() === 'true';
    default:
      return typeof v === 'string'
        ? v
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? String(v)
            : pyFloatRepr(v)
          : String(v);
  }
}

/** Merges the pages of one query (each a Mashup reply) into one table. */
export function mashupToTable(replies: MashupReply[], config?: ColumnsConfig): MastTable {
  const first = replies.find((r) => r.fields);
  if (!first?.fields)
    throw new MastError("reply lacks 'fields'/'data'; is MAST_URL a MAST Portal API?", 'E_MAST_REPLY');
  const columns: Column[] = first.fields
    .filter((f) => f.name !== '_selected_')
    .map((f) => ({ name: f.name, type: normType(f.type) }));
  const rows: Row[] = [];
  for (const r of replies) {
    for (const d of r.data ?? []) {
      const row: Row = {};
      for (const c of columns) {
        const ignore = config?.[c.name]?.ignoreValue;
        const raw = d[c.name];
        row[c.name] = ignore !== undefined && ignore !== null && raw === ignore ? null : coerce(raw, c.type);
      }
      rows.push(row);
    }
  }
  return { columns, rows };
}

/** str() of an astropy masked-table cell: "--" when masked, Python float repr for floats. */
export function formatCell(v: Cell, type: ColumnType): string {
  if (v === null) return '--';
  if (type === 'float' && typeof v === 'number') return pyFloatRepr(v);
  if (type === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

export function formatRow(table: MastTable, row: Row): Record<string, string> {
  return Object.fromEntries(table.columns.map((c) => [c.name, formatCell(row[c.name], c.type)]));
}
