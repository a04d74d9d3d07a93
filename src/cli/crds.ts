// `caldera crds …`: bestrefs, sync, diff, serve, s3-env, s3-get — the CRDS client commands, thin over
// src/crds. Same CRDS_* environment and cache layout as the CRDS client.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import * as crds from '../crds/index.ts';
import { openFits, updateHeaderKeywords } from '../fits/index.ts';
import { CliError } from './errors.ts';
import { type CliIO, formatTable, setExitCode, toJson } from './io.ts';

type Headers = Record<string, Record<string, unknown>>;

type Bar = { start(t: number, v: number): void; update(v: number, p?: object): void; stop(): void };
type ProgressModule = {
  SingleBar: new (o: object, preset: unknown) => Bar;
  Presets: { shades_classic: unknown };
};

const HST_PREFIX: Record<string, string> = {
  acs: 'jref$',
  wfc3: 'iref$',
  cos: 'lref$',
  stis: 'oref$',
  nicmos: 'nref$',
  wfpc2: 'uref$',
};

/** --headers FILE: {id: {KEY: value}} or CRDS's one-object-per-line JSON. */
export function loadHeaders(path: string): Headers {
  const text = readFileSync(path, 'utf8');
  const check = (o: unknown): Headers => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) {
      throw new crds.CrdsInputError(`${path}: expected an object {dataset_id: {KEYWORD: value}}`);
    }
    for (const [id, h] of Object.entries(o)) {
      if (!h || typeof h !== 'object' || Array.isArray(h)) {
        throw new crds.CrdsInputError(`${path}: dataset ${JSON.stringify(id)} is not a keyword object`);
      }
    }
    return o as Headers;
  };
  try {
    return check(JSON.parse(text));
  } catch (e) {
    if (e instanceof crds.CrdsInputError) throw e;
  }
  const out: Headers = {};
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      Object.assign(out, check(JSON.parse(line)));
    } catch (e) {
      if (e instanceof crds.CrdsInputError) throw e;
      throw new crds.CrdsInputError(`${path}:${i + 1}: not JSON: ${(e as Error).message}`);
    }
  });
  return out;
}

/** Union of all HDU headers, first occurrence wins, values as str(card.value). */
export function fitsHeader(path: string): Record<string, unknown> {
  const f = openFits(path);
  try {
    const out: Record<string, unknown> = {};
    for (const hdu of f.hdus) {
      for (const card of hdu.header.cards) {
        const key = card.key;
        if (!key || key in out || key === 'COMMENT' || key === 'HISTORY') continue;
        const v = card.value;
        out[key] =
          v === null || v === undefined
            ? 'UNDEFINED'
            : typeof v === 'object' && 're' in (v as object)
              ? String(v)
              : (v as unknown);
      }
    }
    return out;
  } finally {
    f.close();
  }
}

function isError(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith('NOT FOUND') && v !== 'NOT FOUND n/a';
}

function resultsFor(ctx: crds.Mapping, headers: Headers, types: string[] | null) {
  const out: Record<string, crds.BestRefs> = {};
  for (const [id, h] of Object.entries(headers)) out[id] = crds.getRecommendations(ctx, h, types);
  return out;
}

async function updateFiles(results: Record<string, crds.BestRefs>, io: CliIO): Promise<void> {
  for (const [path, refs] of Object.entries(results)) {
    const instrument = String(fitsHeader(path).INSTRUME ?? '').toLowerCase();
    const prefix = HST_PREFIX[instrument] ?? '';
    const kw: Record<string, string> = {};
    for (const [type, ref] of Object.entries(refs)) {
      if (ref === 'NOT FOUND n/a') kw[type.toUpperCase()] = 'N/A';
      else if (typeof ref === 'string' && !ref.startsWith('NOT FOUND'))
        kw[type.toUpperCase()] = `${prefix}${ref}`;
    }
    updateHeaderKeywords(path, 0, kw);
    io.err(`updated ${Object.keys(kw).length} keywords in ${path}`);
  }
}

async function syncReferences(ctx: crds.Mapping, results: Record<string, crds.BestRefs>, io: CliIO) {
  const config = crds.loadConfig();
  const layout = new crds.CacheLayout(config);
  const client = crds.clientFor(config);
  const obs = crds.observatoryOf(ctx.name, config.observatory);
  const instruments = new Map<string, string>();
  crds.collectReferences(ctx, instruments);
  const names = new Set<string>();
  for (const refs of Object.values(results)) {
    for (const r of Object.values(refs))
      if (typeof r === 'string' && !r.startsWith('NOT FOUND')) names.add(r);
  }
  const list = [...names].sort();
  const infos = client ? await client.getFileInfoMap(obs, list, ['size', 'sha1sum']) : {};
  const fetcher = new crds.Fetcher(layout, {
    client,
    serverInfo: client ? await client.getServerInfo() : null,
  });
  for (const n of list) {
    const info = infos[n];
    const r = await fetcher.fetch(obs, n, info && typeof info === 'object' ? info : null, instruments.get(n));
    if (r.downloaded) io.err(`fetched ${n} (${r.bytes} bytes)`);
  }
}

/**
 * CRDS's scientifically-invalid checks (config/<obs>/bad_files.txt): a bad rule in the context or a bad
 * recommended reference is an error unless CRDS_ALLOW_BAD_RULES / CRDS_ALLOW_BAD_REFERENCES, then a warning.
 */
function checkBadFiles(ctx: crds.Mapping, results: Record<string, crds.BestRefs>, io: CliIO): number {
  const config = crds.loadConfig();
  let obs: string;
  try {
    obs = crds.observatoryOf(ctx.name, config.observatory);
  } catch {
    return 0;
  }
  const bad = new crds.CacheLayout(config).badFiles(obs);
  if (!bad.size) return 0;
  let errors = 0;
  const badRules = [...ctx.mappingNames()].filter((m) => bad.has(m));
  if (badRules.length) {
    const msg = `Final context '${ctx.name}' is marked as scientifically invalid based on: ${badRules.join(', ')}`;
    io.err(`${config.allowBadRules ? 'warning' : 'error'}: ${msg}`);
    if (!config.allowBadRules) errors++;
  }
  for (const [id, refs] of Object.entries(results)) {
    for (const [type, ref] of Object.entries(refs)) {
      if (typeof ref === 'string' && bad.has(ref)) {
        const msg = `${id}: recommended reference '${ref}' of type '${type}' is designated scientifically invalid`;
        io.err(`${config.allowBadReferences ? 'warning' : 'error'}: ${msg}`);
        if (!config.allowBadReferences) errors++;
      }
    }
  }
  return errors;
}

function printResults(results: Record<string, crds.BestRefs>, json: boolean, io: CliIO): void {
  if (json) {
    io.out(toJson(results));
    return;
  }
  const rows: string[][] = [];
  for (const [id, refs] of Object.entries(results)) {
    for (const [t, r] of Object.entries(refs))
      rows.push([basename(id), t, typeof r === 'string' ? r : JSON.stringify(r)]);
  }
  io.out(formatTable(['Dataset', 'Type', 'Best reference'], rows));
}

function registerBestrefs(group: Command, io: CliIO): void {
  group
    .command('bestrefs')
    .description('Best reference files for datasets (FITS files or a headers JSON), like crds bestrefs.')
    .option('--files <files...>', 'dataset FITS files (headers are read from all HDUs)')
    .option('--headers <json>', 'JSON {dataset_id: {KEYWORD: value}} (or one object per line)')
    .option('--context <ctx>', 'context (.pmap/.imap/.rmap name or path); default CRDS_CONTEXT / server')
    .option('--new-context <ctx>', 'context to compute with (same as --context)')
    .option('--old-context <ctx>', 'context to compare against (with --print-affected)')
    .option('--print-affected', 'list datasets whose best references differ between old and new contexts')
    .option('--types <types...>', 'only these reference types')
    .option('--update-bestrefs', 'write the results into the --files headers (e.g. BIASFILE = jref$...)')
    .option('--sync-references', 'download the recommended references into the cache')
    .option('--json', 'machine-readable output')
    .action(async (opts, cmd: Command) => {
      const headers: Headers = {};
      if (opts.headers) Object.assign(headers, loadHeaders(opts.headers));
      for (const f of (opts.files as string[] | undefined) ?? []) headers[f] = fitsHeader(f);
      if (!Object.keys(headers).length) throw new CliError('give --files and/or --headers');
      const types =
        (opts.types as string[] | undefined)?.flatMap((t) => t.split(',')).filter(Boolean) ?? null;
      const config = crds.loadConfig();
      const client = crds.clientFor(config);
      if (
        config.mode === 'remote' &&
        client &&
        !opts.printAffected &&
        !opts.updateBestrefs &&
        !opts.syncReferences
      ) {
        // CRDS_MODE=remote: the server computes the answers (get_best_references).
        const name =
          opts.newContext ??
          opts.context ??
          config.context ??
          (await client.getDefaultContext(config.observatory ?? 'hst'));
        const remote: Record<string, unknown> = {};
        for (const [id, h] of Object.entries(headers))
          remote[id] = await client.getBestReferences(name, h, types);
        printResults(remote as Record<string, crds.BestRefs>, Boolean(opts.json), io);
        const bad = Object.values(remote)
          .flatMap((r) => Object.values(r as object))
          .filter(isError).length;
        if (bad) setExitCode(cmd, 1);
        return;
      }
      const ctx = await crds.openContext(opts.newContext ?? opts.context, config);
      const results = resultsFor(ctx, headers, types);
      if (opts.printAffected) {
        if (!opts.oldContext) throw new CliError('--print-affected needs --old-context');
        const old = resultsFor(await crds.openContext(opts.oldContext), headers, types);
        const affected: Record<string, Record<string, { old: unknown; new: unknown }>> = {};
        for (const [id, refs] of Object.entries(results)) {
          for (const t of new Set([...Object.keys(refs), ...Object.keys(old[id] ?? {})])) {
            const a = old[id]?.[t];
            const b = refs[t];
            if (JSON.stringify(a) !== JSON.stringify(b)) {
              affected[id] ??= {};
              affected[id][t] = { old: a ?? null, new: b ?? null };
            }
          }
        }
        if (opts.json) io.out(toJson(affected));
        else for (const id of Object.keys(affected)) io.out(id);
        return;
      }
      if (opts.syncReferences) await syncReferences(ctx, results, io);
      if (opts.updateBestrefs)
        await updateFiles(
          Object.fromEntries(Object.entries(results).filter(([id]) => (opts.files ?? []).includes(id))),
          io,
        );
      printResults(results, Boolean(opts.json), io);
      const errors =
        Object.values(results)
          .flatMap((r) => Object.values(r))
          .filter(isError).length + checkBadFiles(ctx, results, io);
      if (errors) {
        io.err(`${errors} error(s)`);
        setExitCode(cmd, 1);
      }
    });
}

function registerSync(group: Command, io: CliIO): void {
  group
    .command('sync')
    .description('Bring contexts (and their references) into the CRDS cache; check, repair, purge.')
    .option('--contexts <ctx...>', 'contexts to sync (default: CRDS_CONTEXT or the server default)')
    .option('--all', 'every context the server lists')
    .option('--fetch-references', 'also download the references the contexts name')
    .option('--check-files', 'verify cached files exist with the right size')
    .option('--check-sha1sum', 'also verify cached files by sha1')
    .option('--repair-files', 're-download files that fail the checks')
    .option('--purge-mappings', 'delete cached mappings the synced contexts do not use')
    .option('--purge-references', 'delete cached references the synced contexts do not use')
    .option('--json', 'machine-readable output')
    .action(async (opts, cmd: Command) => {
      const config = crds.loadConfig();
      const layout = new crds.CacheLayout(config);
      const syncer = new crds.CacheSyncer(layout, crds.clientFor(config));
      let bar: Bar | null = null;
      if (io.interactive && !opts.json) {
        // cli-progress ships no types; load it by a non-literal specifier and describe what we use.
        const spec: string = 'cli-progress';
        const cp = ((await import(spec)) as { default: ProgressModule }).default;
        bar = new cp.SingleBar({ format: 'sync [{bar}] {value}/{total} {name}' }, cp.Presets.shades_classic);
      }
      let total = -1;
      const report = await syncer.sync({
        contexts: opts.contexts,
        all: opts.all,
        fetchReferences: opts.fetchReferences,
        checkFiles: opts.checkFiles,
        checkSha1sum: opts.checkSha1sum,
        repairFiles: opts.repairFiles,
        purgeMappings: opts.purgeMappings,
        purgeReferences: opts.purgeReferences,
        onProgress: (done, n, name) => {
          if (!bar) return;
          if (n !== total) {
            if (total >= 0) bar.stop();
            bar.start(n, 0);
            total = n;
          }
          bar.update(done, { name });
        },
      });
      bar?.stop();
      if (opts.json) io.out(toJson(report));
      else {
        io.out(`contexts: ${report.contexts.join(' ')}`);
        io.out(`mappings: ${report.mappings}, references: ${report.references}`);
        io.out(`downloaded: ${report.downloaded.length} files, ${report.bytes} bytes`);
        if (report.bad.length) io.out(`bad: ${report.bad.join(' ')}`);
        if (report.repaired.length) io.out(`repaired: ${report.repaired.join(' ')}`);
        if (report.purged.length) io.out(`purged: ${report.purged.length} files`);
        for (const e of report.errors) io.err(`error: ${e}`);
      }
      if (report.errors.length || (report.bad.length && !opts.repairFiles)) setExitCode(cmd, 1);
    });
}

export function registerCrds(program: Command, io: CliIO): void {
  const group = program.command('crds').description('Choose and fetch calibration reference files (CRDS).');
  registerBestrefs(group, io);
  registerSync(group, io);

  group
    .command('diff')
    .description('Rules added, removed or changed per type between two contexts.')
    .argument('<old>')
    .argument('<new>')
    .option('--json', 'machine-readable output')
    .action(async (a: string, b: string, opts: { json?: boolean }, cmd: Command) => {
      const changes = crds.diffMappings(await crds.openContext(a), await crds.openContext(b));
      if (opts.json) io.out(toJson(changes));
      else {
        io.out(
          formatTable(
            ['Instrument', 'Type', 'Change', 'Rule', 'Old', 'New'],
            changes.map((c) => [c.instrument, c.filekind, c.change, c.rule, c.old ?? '', c.new ?? '']),
          ),
        );
      }
      setExitCode(cmd, changes.length ? 1 : 0);
    });

  group
    .command('serve')
    .description('Serve a CRDS cache over the CRDS JSON-RPC protocol and file URLs (loopback by default).')
    .requiredOption('--cache <dir>', 'CRDS cache directory (mappings/, references/, config/)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '8888')
    .option('--json', 'print the URL as JSON')
    .action(async (opts: { cache: string; host: string; port: string; json?: boolean }) => {
      const server = await crds.startServer({ cache: opts.cache, host: opts.host, port: Number(opts.port) });
      io.out(opts.json ? toJson({ url: server.url }) : `CRDS server for ${opts.cache} at ${server.url}`);
      await new Promise<void>((resolve) => {
        const stop = () => server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  group
    .command('s3-env')
    .description("Print the export lines STScI's crds_s3_set sets (hst ops|test, roman ops|test|int).")
    .argument('<observatory>')
    .argument('<environment>')
    .option('--json', 'machine-readable output')
    .action((obs: string, env: string, opts: { json?: boolean }) => {
      const vars = crds.s3Environment(obs, env, process.env.CRDS_PATH);
      io.out(opts.json ? toJson(Object.fromEntries(vars)) : crds.exportLines(vars));
    });

  group
    .command('s3-get')
    .description('Copy one s3:// object to a local file, verified; usable as CRDS_DOWNLOAD_PLUGIN.')
    .argument('<source>', 's3://bucket/key (or a file name with CRDS_REFERENCE_URI/CRDS_MAPPING_URI)')
    .argument('[output]', 'output path')
    .argument('[size]', 'expected size (old positional form)')
    .argument('[sha1]', 'expected sha1 (old positional form)')
    .option('-d, --output <path>', 'output path')
    .option('-s, --file-size <n>', 'expected size in bytes')
    .option('-c, --file-sha1sum <hex>', 'expected sha1')
    .option('--json', 'machine-readable output')
    .action(
      async (
        source: string,
        output: string | undefined,
        size: string | undefined,
        sha1: string | undefined,
        opts,
      ) => {
        const out = opts.output ?? output;
        if (!out) throw new CliError('give an output path (-d PATH or second argument)');
        let uri = source;
        if (!uri.startsWith('s3://')) {
          const cfg = crds.loadConfig();
          const base = /\.(pmap|imap|rmap)$/.test(uri) ? cfg.mappingUri : cfg.referenceUri;
          if (!base)
            throw new CliError(`${uri} is not an s3:// URI and CRDS_REFERENCE_URI/CRDS_MAPPING_URI is unset`);
          uri = `${base.replace(/\/+$/, '')}/${uri}`;
        }
        const sizeText = opts.fileSize ?? size;
        const r = await crds.s3Get({
          source: uri,
          output: out,
          size: sizeText !== undefined && sizeText !== '' ? Number(sizeText) : null,
          sha1sum: opts.fileSha1sum ?? sha1 ?? null,
        });
        io.out(opts.json ? toJson(r) : `${uri} -> ${r.path} (${r.bytes} bytes)`);
      },
    );
}
