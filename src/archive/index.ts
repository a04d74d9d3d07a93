// Public face of archive access: a MAST Portal API client (astroquery-compatible), product filtering,
// downloads (HTTP or the public cloud), and a MAST-protocol server over a directory or bucket.
export * from './errors.ts';
export {
  DEFAULT_MAST_URL,
  type Criteria,
  type CriterionValue,
  type MashupFilter,
  MastClient,
  type MastClientOptions,
  type Position,
  SERVICES,
} from './client.ts';
export { filterProducts, type FilterValue, type ProductFilters } from './filter.ts';
export {
  type DownloadOptions,
  downloadHttp,
  downloadObject,
  downloadProducts,
  type FileProgress,
  type ManifestRow,
  productPath,
  transferToFile,
} from './download.ts';
export { hstCloudUri, PUBLIC_BUCKET, tessFfis, tessProducts, tessTidPrefix, type TessKind } from './cloud.ts';
export { pyFloatRepr, pyJsonDumps, pyQuote } from './pyjson.ts';
export {
  type Cell,
  type Column,
  type ColumnsConfig,
  formatCell,
  formatRow,
  type MashupReply,
  type MastTable,
  mashupToTable,
  type Row,
} from './table.ts';
export {
  type ArchiveServer,
  type ArchiveServerOptions,
  createArchiveApp,
  startArchiveServer,
} from './server/app.ts';
export { ArchiveIndex, extractMeta, type IndexStats } from './server/indexer.ts';
