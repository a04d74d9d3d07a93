// Fetching a dataset's inputs into the job's work folder: from a file: folder (the raw files, or
// one <dataset>.tar.gz there), the archive (astroquery:/archive:, RAW and ASN products through our
// MAST client), or an s3:// prefix (the <dataset>.tar.gz object or the dataset's FITS objects).
// Which raws belong to the dataset is read from its association table, never guessed by a glob.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { downloadProducts, filterProducts, MastClient, type MastTable } from '../archive/index.ts';
import { openFits, readTable } from '../fits/index.ts';
import { getObjectStore, isNetworkError, joinUri, parseUri, type StoreOptions } from '../storage/index.ts';
import type { DatasetId } from './dataset.ts';
import { CmdlineError, ProcessError } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import type { ProcessLog } from './logs.ts';
import { retry, type StepRunner } from './steps.ts';
import { readTarGz, type TarMember } from './tar.ts';

export type InputKind = 'file' | 'archive' | 's3';

export interface InputSpec {
  kind: InputKind;
  uri: string;
}

export interface FetchedInputs {
  /** How the inputs arrived (folder, tarball, archive, s3-tarball, s3-objects). */
  via: string;
  asn?: string;
  raws: string[];
  calEnv?: string;
  /** Every input file in the work folder (asn first). */
  files: string[];
}

export function parseInput(arg: string | undefined): InputSpec {
  const a = arg ?? 'file:.';
  if (/^(astroquery|archive):/i.test(a)) return { kind: 'archive', uri: a };
  if (a.startsWith('s3://')) {
    try {
      return { kind: 's3', uri: parseUri(a).uri };
    } catch (e) {
      throw new CmdlineError(`INPUT ${JSON.stringify(a)}: ${(e as Error).message}`);
    }
  }
  if (a.startsWith('file:') || !/^[a-z][a-z0-9+.-]*:/i.test(a)) {
    try {
      return { kind: 'file', uri: parseUri(a).uri };
    } catch (e) {
      throw new CmdlineError(`INPUT ${JSON.stringify(a)}: ${(e as Error).message}`);
    }
  }
  throw new CmdlineError(
    `INPUT ${JSON.stringify(a)} should be file:<dir>, astroquery:, archive: or s3://bucket/prefix`,
  );
}

export interface AsnMemberRow {
  name: string;
  type: string;
  present: boolean;
}

/** MEMNAME/MEMTYPE/MEMPRSNT of an association table. */
export function readAsnMembers(path: string): AsnMemberRow[] {
  const f = openFits(path);
  try {
    const t = readTable(f.hdus[1], { columns: ['MEMNAME', 'MEMTYPE', 'MEMPRSNT'], trimStrings: true });
    const names = t.column('MEMNAME').values as string[];
    const types = t.column('MEMTYPE').values as string[];
    const pres = t.column('MEMPRSNT').values as ArrayLike<unknown>;
    return names.map((n, i) => ({
      name: n.trim().toLowerCase(),
      type: types[i].trim().toUpperCase(),
      present: Boolean(pres[i]),
    }));
  } finally {
    f.close();
  }
}

/** Names of the raw files the dataset needs: the association's present EXP-* members, or its own raw. */
function neededRaws(asnPath: string | undefined, ds: DatasetId, code: number): string[] {
  if (!asnPath) return [`${ds.id}_raw.fits`];
  let members: AsnMemberRow[];
  try {
    members = readAsnMembers(asnPath);
  } catch (e) {
    throw new ProcessError(
      `cannot read the association table ${basename(asnPath)}: ${(e as Error).message}`,
      code,
    );
  }
  const raws = members.filter((m) => m.type.startsWith('EXP-') && m.present).map((m) => `${m.name}_raw.fits`);
  if (raws.length === 0) throw new ProcessError(`${basename(asnPath)} lists no present exposures`, code);
  return raws;
}

function done(
  work: string,
  via: string,
  asn: string | undefined,
  raws: string[],
  calEnv: string | undefined,
): FetchedInputs {
  const files = [...(asn ? [asn] : []), ...raws];
  return { via, asn, raws, calEnv, files: files.map((f) => join(work, basename(f))) };
}

async function fromFolder(dir: string, ds: DatasetId, work: string, log: ProcessLog): Promise<FetchedInputs> {
  const code = EXIT.INPUT_TAR_FILE_ERROR;
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new ProcessError(`input folder ${dir} does not exist`, code);
  const tarball = join(dir, `${ds.id}.tar.gz`);
  if (existsSync(tarball)) {
    log.info(`inputs: unpacking ${tarball}`);
    return fromTarball(await readFile(tarball), ds, work, 'tarball', tarball);
  }
  const asnName = `${ds.id}_asn.fits`;
  const asn = existsSync(join(dir, asnName)) ? asnName : undefined;
  if (!asn && !existsSync(join(dir, `${ds.id}_raw.fits`))) {
    throw new ProcessError(`no ${ds.id}_asn.fits, ${ds.id}_raw.fits or ${ds.id}.tar.gz in ${dir}`, code);
  }
  if (asn) await copyFile(join(dir, asn), join(work, asn));
  const raws = neededRaws(asn && join(work, asn), ds, code);
  for (const r of raws) {
    if (!existsSync(join(dir, r)))
      throw new ProcessError(`${r} (listed in ${asnName}) is missing from ${dir}`, code);
  }
  await Promise.all(raws.map((r) => copyFile(join(dir, r), join(work, r))));
  const envName = `${ds.id}_cal_env.txt`;
  const calEnv = existsSync(join(dir, envName)) ? envName : undefined;
  if (calEnv) await copyFile(join(dir, envName), join(work, envName));
  log.info(`inputs: copied ${[asn, ...raws, calEnv].filter(Boolean).join(', ')} from ${dir}`);
  return done(work, 'folder', asn, raws, calEnv);
}

/** Writes only the members the dataset needs (chosen by its association) into the work folder. */
export async function fromTarball(
  gz: Uint8Array,
  ds: DatasetId,
  work: string,
  via: string,
  label: string,
): Promise<FetchedInputs> {
  const code = EXIT.INPUT_TAR_FILE_ERROR;
  const members = await readTarGz(gz);
  const byName = new Map<string, TarMember>();
  for (const m of members) {
    if (m.type !== 'file') continue;
    const b = basename(m.name);
    if (byName.has(b)) throw new ProcessError(`${label}: two members are named ${b}`, code);
    byName.set(b, m);
  }
  const take = async (name: string) => {
    const m = byName.get(name);
    if (!m) return false;
    await writeFile(join(work, name), m.data);
    return true;
  };
  const asnName = `${ds.id}_asn.fits`;
  const asn = (await take(asnName)) ? asnName : undefined;
  const raws = neededRaws(asn && join(work, asn), ds, code);
  for (const r of raws) if (!(await take(r))) throw new ProcessError(`${label} has no member ${r}`, code);
  const envName = `${ds.id}_cal_env.txt`;
  const calEnv = (await take(envName)) ? envName : undefined;
  return done(work, via, asn, raws, calEnv);
}

async function downloadInto(
  client: MastClient,
  rows: MastTable,
  dl: string,
  work: string,
  code: number,
): Promise<string[]> {
  const manifest = await downloadProducts(client, rows, { downloadDir: dl, maxAttempts: 3 });
  const bad = manifest.filter((m) => m.Status !== 'COMPLETE');
  if (bad.length)
    throw new ProcessError(
      `download failed: ${bad.map((b) => `${basename(b['Local Path'])}: ${b.Message}`).join('; ')}`,
      code,
    );
  for (const m of manifest) {
    const st = await stat(m['Local Path']);
    if (st.size === 0)
      throw new ProcessError(`the archive returned an empty file for ${basename(m['Local Path'])}`, code);
    await rename(m['Local Path'], join(work, basename(m['Local Path'])));
  }
  return manifest.map((m) => basename(m['Local Path']));
}

async function fromArchive(
  ds: DatasetId,
  work: string,
  scratch: string,
  env: NodeJS.ProcessEnv,
  log: ProcessLog,
): Promise<FetchedInputs> {
  const code = EXIT.ASTROQUERY_ERROR;
  const client = new MastClient({ baseUrl: env.MAST_URL, maxAttempts: 3 });
  const opts = { log, retryable: isNetworkError };
  log.info(`inputs: asking ${env.MAST_URL ?? 'MAST'} for ${ds.id} RAW and ASN products`);
  const products = async (ids: string[]) => {
    const obs = await retry(() => client.queryCriteria({ obs_id: ids }), { ...opts, what: 'archive query' });
    if (obs.rows.length === 0)
      throw new ProcessError(`the archive has no observation ${ids.join(', ')}`, code);
    const all = await retry(() => client.getProductList(obs.rows), { ...opts, what: 'product list' });
    return filterProducts(all, { productSubGroupDescription: ['RAW', 'ASN'] });
  };
  const first = await products([ds.id]);
  if (first.rows.length === 0)
    throw new ProcessError(`the archive lists no RAW or ASN products for ${ds.id}`, code);
  const dl = join(scratch, 'download');
  const got = await downloadInto(client, first, dl, work, code);
  const asnName = `${ds.id}_asn.fits`;
  const asn = existsSync(join(work, asnName)) ? asnName : undefined;
  const raws = neededRaws(asn && join(work, asn), ds, code);
  const missing = raws.filter((r) => !existsSync(join(work, r)));
  if (missing.length) {
    // Archives that list an association's member raws under the members' own observations.
    const more = await products(missing.map((r) => r.replace(/_raw\.fits$/, '')));
    const rows = more.rows.filter((r) => missing.includes(String(r.productFilename).toLowerCase()));
    if (rows.length) got.push(...(await downloadInto(client, { ...more, rows }, dl, work, code)));
  }
  log.info(`inputs: downloaded ${got.join(', ')}`);
  for (const r of raws)
    if (!existsSync(join(work, r))) throw new ProcessError(`the archive did not provide ${r}`, code);
  return done(work, 'archive', asn, raws, undefined);
}

async function fromS3(
  prefix: string,
  ds: DatasetId,
  work: string,
  runner: StepRunner,
  log: ProcessLog,
  storeOptions?: StoreOptions,
): Promise<FetchedInputs> {
  const store = getObjectStore(prefix, storeOptions);
  const obj = (name: string) => joinUri(prefix.replace(/\/+$/, ''), name);
  const opts = { log, retryable: isNetworkError };
  const tarUri = obj(`${ds.id}.tar.gz`);
  const gz = await runner.run('fetch.download', EXIT.S3_DOWNLOAD_ERROR, async () => {
    const st = await retry(() => store.stat(tarUri), { ...opts, what: `stat ${tarUri}` });
    return st ? retry(() => store.read(tarUri), { ...opts, what: `read ${tarUri}` }) : undefined;
  });
  if (gz) {
    log.info(`inputs: unpacking ${tarUri} (${gz.length} bytes)`);
    return runner.run('fetch.unpack', EXIT.INPUT_TAR_FILE_ERROR, () =>
      fromTarball(gz, ds, work, 's3-tarball', tarUri),
    );
  }
  return runner.run('fetch.download', EXIT.S3_DOWNLOAD_ERROR, async () => {
    const code = EXIT.S3_DOWNLOAD_ERROR;
    const get = async (name: string, required: boolean): Promise<boolean> => {
      const uri = obj(name);
      const st = await retry(() => store.stat(uri), { ...opts, what: `stat ${uri}` });
      if (!st) {
        if (required) throw new ProcessError(`${uri} does not exist`, code);
        return false;
      }
      await writeFile(join(work, name), await retry(() => store.read(uri), { ...opts, what: `read ${uri}` }));
      return true;
    };
    const asnName = `${ds.id}_asn.fits`;
    const asn = (await get(asnName, false)) ? asnName : undefined;
    if (!asn && !(await get(`${ds.id}_raw.fits`, false))) {
      throw new ProcessError(`no ${ds.id}.tar.gz, ${asnName} or ${ds.id}_raw.fits under ${prefix}`, code);
    }
    const raws = neededRaws(asn && join(work, asn), ds, code);
    await Promise.all(raws.filter((r) => !existsSync(join(work, r))).map((r) => get(r, true)));
    const calEnv = (await get(`${ds.id}_cal_env.txt`, false)) ? `${ds.id}_cal_env.txt` : undefined;
    log.info(`inputs: downloaded ${[asn, ...raws, calEnv].filter(Boolean).join(', ')} from ${prefix}`);
    return done(work, 's3-objects', asn, raws, calEnv);
  });
}

/** The fetch step's own exit code for an input kind. */
export function fetchCode(kind: InputKind): number {
  return kind === 'archive'
    ? EXIT.ASTROQUERY_ERROR
    : kind === 's3'
      ? EXIT.S3_DOWNLOAD_ERROR
      : EXIT.INPUT_TAR_FILE_ERROR;
}

export async function fetchInputs(
  spec: InputSpec,
  ds: DatasetId,
  scratch: string,
  runner: StepRunner,
  log: ProcessLog,
  env: NodeJS.ProcessEnv,
  storeOptions?: StoreOptions,
): Promise<{ inputs: FetchedInputs; work: string }> {
  const work = join(scratch, 'work');
  await mkdir(work, { recursive: true });
  let inputs: FetchedInputs;
  if (spec.kind === 'file') inputs = await fromFolder(parseUri(spec.uri).key, ds, work, log);
  else if (spec.kind === 'archive') inputs = await fromArchive(ds, work, scratch, env, log);
  else inputs = await fromS3(spec.uri, ds, work, runner, log, storeOptions);
  return { inputs, work };
}
