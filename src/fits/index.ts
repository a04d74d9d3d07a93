// Public face of the FITS library: cards and headers, lazy reading of HDUs (images, tables,
// compressed images), writing, checksums, verification and comparison.
export { CARD_LENGTH, Card, type CardOptions, type CardValue, type Complex, formatFloat } from './card.ts';
export { addSums, encodeChecksum, onesComplementSum } from './checksum.ts';
export { FitsError, type FitsErrorWhere } from './errors.ts';
export { FitsFile, type OpenOptions, openFits } from './file.ts';
export { Hdu, type ReadImageOptions } from './hdu.ts';
export { BLOCK_SIZE, Header, type HeaderEntry } from './header.ts';
export {
  countOf,
  decodeStored,
  encodeStored,
  type ImageArray,
  type ImageData,
  type PhysicalType,
  readScaling,
  type Scaling,
  shapeOf,
  toPhysical,
} from './image.ts';
export { type DataLayout, type HduKind, paddedSize } from './structure.ts';
export {
  type BinCode,
  type BinFormat,
  binTableLayout,
  type ColumnLayout,
  findColumn,
  parseBinTform,
  type TableLayout,
} from './table/layout.ts';
export * from './table/index.ts';
export { type HeaderInit, toHeader } from './header-build.ts';
export {
  type AsciiTableHduSpec,
  type BinTableHduSpec,
  type GroupsHduSpec,
  type CopyHduSpec,
  type EncodedHduSpec,
  FitsWriter,
  fitsToBytes,
  type HduSpec,
  type ImageHduSpec,
  ImageStream,
  type WriteOptions,
  writeFits,
} from './writer.ts';
export {
  type ChecksumStatus,
  type Severity,
  type VerifyProblem,
  type VerifyReport,
  verifyFits,
} from './verify.ts';
export { type HduSummary, type ImageStats, imageStats, summarizeHdu } from './summary.ts';
export {
  type DataDifference,
  type DiffOptions,
  type DiffReport,
  diffFits,
  type HduDiff,
  type KeywordDifference,
} from './diff.ts';
export * from './compress/index.ts';
export { type PackResult, packFits, unpackFits } from './pack.ts';
export { type HeaderUpdate, updateHeaderKeywords } from './update.ts';
