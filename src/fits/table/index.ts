// FITS tables: reading binary and ASCII tables and random groups, encoding binary tables.
export { type AsciiFormat, parseAsciiTform } from './ascii.ts';
export { type GroupParam, type GroupsData, readGroups } from './groups.ts';
export { parseTdim } from './layout.ts';
export { readTable } from './read.ts';
export { type FieldPlace, Table } from './table.ts';
export type { Column, ColumnKind, ColumnValues, ElementKind, ReadTableOptions, VlaRow } from './types.ts';
export {
  type BinTableSpec,
  type ColumnData,
  type ColumnSpec,
  type EncodedTable,
  encodeBinTable,
  type VlaInput,
} from './write.ts';
export {
  type AsciiColumnSpec,
  type AsciiTableSpec,
  type EncodedAsciiTable,
  encodeAsciiTable,
  formatAsciiField,
} from './ascii-write.ts';
export { encodeGroups, type GroupParamSpec, type GroupsSpec } from './groups-write.ts';
