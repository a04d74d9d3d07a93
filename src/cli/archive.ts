// `caldera archive …`: query, products, download and serve — thin over src/archive. MAST_URL (or
// --mast-url) selects the archive, so the same commands work against `caldera archive serve`.
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import {
  type Criteria,
  type DownloadOptions,
  downloadProducts,
  filterProducts,
  formatCell,
  MastClient,
  type MastTable,
  type ProductFilters,
  startArchiveServer,
} from '../archive/index.ts';
import { CliError } from './errors.ts';
import { type CliIO, formatTable, setExitCode, toJson } from './io.ts';

// cli-progress ships no types: the few members used here
interface Bar {
  update(n: number, payload?: Record<string, string>): void;
}
interface MultiBar {
  create(total: number, start: number, payload: Record<string, string>): Bar;
  stop(): void;
}
const cliProgress = createRequire(import.meta.url)('cli-progress') as {
  MultiBar: new (opts: Record<string, unknown>, preset: unknown) => MultiBar;
  Presets: { shades_classic: unknown };
};

const collect = (v: string, prev: string[] = []) => [...prev, v];
const csv = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `col=a,b` → discrete list; `col=min..max` → continuous range. */
export function parseWhere(items: string[]): Criteria {
  const out: Criteria = {};
  for (const it of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(it);
    if (!m) throw new CliError(`--where '${it}' should look like column=value[,value] or column=min..max`);
    const r = /^(-?[\d.e+-]+)\.\.(-?[\d.e+-]+)$/i.exec(m[2]);
    out[m[1]] = r ? [Number(r[1]), Number(r[2])] : csv(m[2]);
  }
  return out;
}

function client(opts: { mastUrl?: string }): MastClient {
  return new MastClient({ baseUrl: opts.mastUrl });
}

function tableText(t: MastTable, cols: string[]): string {
  const use = cols.filter((c) => t.columns.some((x) => x.name === c));
  const types = new Map(t.columns.map((c) => [c.name, c.type]));
  return formatTable(
    use,
    t.rows.map((r) => use.map((c) => formatCell(r[c], types.get(c) ?? 'string'))),
  );
}

async function productsFor(c: MastClient, ids: string[]): Promise<MastTable> {
  const numeric = ids.filter((i) => /^\d+$/.test(i));
  const named = ids.filter((i) => !/^\d+$/.test(i));
  const obsids: (string | number)[] = [...numeric];
  if (named.length) {
    const obs = await c.queryCriteria({ obs_id: named });
    if (obs.rows.length === 0)
      throw new CliError(`no observation with obs_id ${named.join(', ')}`, 'E_NOT_FOUND', 66);
    obsids.push(...obs.rows.map((r) => String(r.obsid)));
  }
  return c.getProductList(obsids);
}

function productFilters(o: {
  suffix?: string;
  type?: string;
  extension?: string;
  mrp?: boolean;
}): ProductFilters {
  const f: ProductFilters = {};
  if (o.suffix) f.productSubGroupDescription = csv(o.suffix).map((s) => s.toUpperCase());
  if (o.type) f.productType = csv(o.type).map((s) => s.toUpperCase());
  if (o.extension) f.extension = csv(o.extension);
  if (o.mrp) f.mrpOnly = true;
  return f;
}

export function registerArchive(program: Command, io: CliIO): void {
  const archive = program
    .command('archive')
    .description('Query and download from MAST (or a `caldera archive serve`), or serve an archive.');

  archive
    .command('query')
    .description('Find observations (Mast.Caom.Filtered); --position adds a cone.')
    .option('--instrument <names>', 'instrument_name, comma-separated (e.g. ACS/HRC,STIS/CCD)')
    .option('--target <name>', 'target_name (wildcards * allowed)')
    .option('--proposal <id>', 'proposal_id')
    .option('--pi <name>', 'proposal_pi')
    .option('--obs-id <ids>', 'obs_id, comma-separated')
    .option('--collection <names>', 'obs_collection (e.g. HST)')
    .option('--where <col=value>', 'any column: col=a,b or col=min..max (repeatable)', collect, [])
    .option('--position <ra,dec,radius>', 'cone in degrees')
    .option('--mast-url <url>', 'archive base URL (default $MAST_URL or https://mast.stsci.edu)')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd: Command) => {
      const crit: Criteria = parseWhere(o.where);
      if (o.instrument) crit.instrument_name = csv(o.instrument);
      if (o.target) crit.target_name = o.target;
      if (o.proposal) crit.proposal_id = csv(o.proposal);
      if (o.pi) crit.proposal_pi = o.pi;
      if (o.obsId) crit.obs_id = csv(o.obsId).map((s) => s.toUpperCase());
      if (o.collection) crit.obs_collection = csv(o.collection);
      if (Object.keys(crit).length === 0)
        throw new CliError('give at least one criterion (--instrument, --target, --where …)');
      let position: { ra: number; dec: number; radius: number } | undefined;
      if (o.position) {
        const [ra, dec, radius] = String(o.position).split(',').map(Number);
        if (![ra, dec].every(Number.isFinite))
          throw new CliError('--position wants ra,dec[,radius] in degrees');
        position = { ra, dec, radius: Number.isFinite(radius) ? radius : 0.2 };
      }
      const t = await client(o).queryCriteria(crit, { position });
      if (o.json) io.out(toJson(t.rows));
      else
        io.out(
          tableText(t, [
            'obs_collection',
            'obs_id',
            'instrument_name',
            'target_name',
            'filters',
            't_exptime',
            'proposal_id',
            'obsid',
          ]),
        );
      setExitCode(cmd, t.rows.length ? 0 : 1);
    });

  archive
    .command('products')
    .description('List the products of observations (by obs_id or numeric obsid).')
    .argument('<obs-id...>')
    .option('--suffix <list>', 'keep these productSubGroupDescription values (e.g. RAW,ASN)')
    .option('--type <list>', 'keep these productType values (SCIENCE, AUXILIARY …)')
    .option('--mast-url <url>', 'archive base URL')
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], o) => {
      const t = filterProducts(await productsFor(client(o), ids), productFilters(o));
      if (o.json) return io.out(toJson(t.rows));
      io.out(
        tableText(t, [
          'obs_id',
          'productFilename',
          'productType',
          'productSubGroupDescription',
          'size',
          'dataURI',
        ]),
      );
    });

  archive
    .command('download')
    .description('Download the products of datasets into <out>/mastDownload/<collection>/<obs_id>/.')
    .argument('<dataset...>', 'obs_id(s) or numeric obsid(s)')
    .option('--suffix <list>', 'only these product suffixes (e.g. RAW,ASN)')
    .option('--type <list>', 'only these productType values')
    .option('--extension <list>', 'only file names ending so (e.g. fits)')
    .option('--cloud', 'read from the public S3 bucket first (falls back to HTTP)')
    .option('--cloud-only', 'with --cloud: skip products not in the cloud')
    .option('--out <dir>', 'download directory', '.')
    .option('--parallel <n>', 'files in flight', '4')
    .option('--mast-url <url>', 'archive base URL')
    .option('--json', 'machine-readable output (the manifest)')
    .action(async (ids: string[], o, cmd: Command) => {
      const c = client(o);
      const t = filterProducts(await productsFor(c, ids), productFilters(o));
      if (t.rows.length === 0) throw new CliError('no products match', 'E_NOT_FOUND', 66);
      const bars =
        io.interactive && !o.json
          ? new cliProgress.MultiBar(
              { clearOnComplete: false, format: '{bar} {percentage}% {file}', stream: process.stderr },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      const byFile = new Map<string, Bar>();
      const opts: DownloadOptions = {
        downloadDir: o.out,
        parallel: Math.max(1, Number(o.parallel) || 4),
        cloud: Boolean(o.cloud || o.cloudOnly),
        cloudOnly: Boolean(o.cloudOnly),
        onProgress: bars
          ? (p) => {
              let b = byFile.get(p.file);
              if (!b) {
                b = bars.create(p.total ?? 0, 0, { file: p.file.slice(p.file.lastIndexOf('/') + 1) });
                byFile.set(p.file, b);
              }
              b.update(p.loaded, { file: p.file.slice(p.file.lastIndexOf('/') + 1) });
            }
          : undefined,
      };
      const manifest = await downloadProducts(c, t, opts).finally(() => bars?.stop());
      if (o.json) io.out(toJson(manifest));
      else
        io.out(
          formatTable(
            ['Status', 'Local Path', 'Message'],
            manifest.map((m) => [m.Status, m['Local Path'], m.Message ?? '']),
          ),
        );
      setExitCode(cmd, manifest.some((m) => m.Status === 'ERROR') ? 75 : 0);
    });

  archive
    .command('serve')
    .description(
      'Serve a directory or s3://bucket/prefix of FITS files as a MAST Portal API (indexes headers into SQLite).',
    )
    .argument('<source>', 'DIR, file:DIR or s3://bucket/prefix')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port (0 = any free)', '0')
    .option('--db <file>', 'SQLite index file (default: in memory)')
    .option('--json', 'print {url, port, stats} as JSON')
    .action(async (source: string, o) => {
      const srv = await startArchiveServer({ source, host: o.host, port: Number(o.port), dbPath: o.db });
      if (o.json) io.out(toJson({ url: srv.url, port: srv.port, stats: srv.stats }, 0));
      else
        io.out(
          `serving ${srv.stats.observations} observations (${srv.stats.products} files) at ${srv.url}  (MAST_URL=${srv.url})`,
        );
      await new Promise<void>((resolve) => {
        const stop = () => void srv.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
