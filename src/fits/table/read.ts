// readTable: the one entry point for table data, whatever the table type.
import { FitsError, locate } from '../errors.ts';
import type { Hdu } from '../hdu.ts';
import { readAsciiTable } from './ascii.ts';
import { readBinTable } from './binary.ts';
import type { Table } from './table.ts';
import type { ReadTableOptions } from './types.ts';

/**
 * Reads a BINTABLE (or the binary table under a tile-compressed image) or an ASCII TABLE:
 * physical values per column as astropy gives them; see Column for the forms.
 */
export function readTable(hdu: Hdu, options: ReadTableOptions = {}): Table {
  return locate({ file: hdu.fileName, hdu: hdu.index }, () => {
    switch (hdu.kind) {
      case 'BINTABLE':
      case 'COMPRESSED_IMAGE':
        return readBinTable(hdu, options);
      case 'TABLE':
        return readAsciiTable(hdu, options);
      default:
        throw new FitsError(`HDU is a ${hdu.kind}, not a table`);
    }
  });
}
