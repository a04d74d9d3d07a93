// `caldera process DATASET [INPUT] [OUTPUT] [CONFIG]`: one HST dataset end to end, CALDP's job.
// fetch inputs → CRDS bestrefs → stage 1 calibration → (stage 2) → previews → copy outputs →
// final message, each step wrapped by the StepRunner so a failure yields its CALDP exit code.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type CalibrateResult, calibrate, DEFAULT_SDQFLAGS } from '../calib/index.ts';
import {
  chipFromArrays,
  createPreviewsInWorker,
  type PreviewResult,
  previewFromChips,
} from '../preview/index.ts';
import {
  getObjectStore,
  isNetworkError,
  type ObjectStore,
  parseUri,
  type StoreOptions,
} from '../storage/index.ts';
import { assignBestrefs, type BestrefsResult } from './bestrefs.ts';
import { type JobConfig, parseCalEnv, resolveConfig } from './config.ts';
import { type DatasetId, parseDataset } from './dataset.ts';
import { CmdlineError, memoryExitCode, ProcessError, reasonOf, StepFailure } from './errors.ts';
import { EXIT, exitName } from './exit-codes.ts';
import { startHash } from './hash.ts';
import { fetchCode, fetchInputs, type FetchedInputs, type InputSpec, parseInput } from './inputs.ts';
import { OutputLayout } from './layout.ts';
import { Metrics, ProcessLog } from './logs.ts';
import { Messages } from './messages.ts';
import { copyOutputs, type OutputFile, planOutputs } from './outputs.ts';
import { type ResultJson, buildResult } from './result.ts';
import { retry, type StepRecord, StepRunner } from './steps.ts';
import { tarGzStream } from './tar.ts';

export const CALDERA_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
})();

export interface ProcessOptions {
  dataset: string;
  input?: string;
  output?: string;
  config?: string;
  /** Also write outputs/<dataset>/<dataset>.tar.gz. */
  tarball?: boolean;
  /** The environment to run in (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Worker threads for calibration (default: calib's choice). */
  workers?: number;
  /** Receives every process.txt line as it is logged. */
  onLog?: (line: string) => void;
  /** The command line shown in process_metrics.txt. */
  command?: string;
  /** Options for s3:// inputs and outputs (endpoint, credentials, retries); default from AWS_* variables. */
  storeOptions?: StoreOptions;
}

export interface ProcessResult {
  exitCode: number;
  exitName: string;
  dataset: string;
  failedStep?: string;
  reason?: string;
  output: string;
  dataDir: string;
  steps: StepRecord[];
  outputs: OutputFile[];
  previews: PreviewResult[];
  result: ResultJson;
  /** Scratch folder kept after a failure (removed on success). */
  scratch?: string;
}

function parseOutput(arg: string | undefined): string {
  const a = arg ?? 'file:.';
  let p: ReturnType<typeof parseUri>;
  try {
    p = parseUri(a);
  } catch (e) {
    throw new CmdlineError(`OUTPUT ${JSON.stringify(a)}: ${(e as Error).message}`);
  }
  if (p.scheme !== 'file' && p.scheme !== 's3')
    throw new CmdlineError(`OUTPUT ${JSON.stringify(a)} should be file:<dir> or s3://bucket/prefix`);
  if (p.scheme === 's3' && !p.bucket) throw new CmdlineError(`OUTPUT ${JSON.stringify(a)} names no bucket`);
  return p.uri;
}

/** Applies `<dataset>_cal_env.txt` to the job environment and process.env; returns an undo. */
async function applyCalEnv(path: string, env: NodeJS.ProcessEnv, log: ProcessLog): Promise<() => void> {
  const { vars, bad } = parseCalEnv(await readFile(path, 'utf8'));
  for (const b of bad)
    log.warn(`${path}: line ${b.line} is not a valid KEY=VALUE pair, skipped: ${JSON.stringify(b.text)}`);
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, process.env[k]);
    env[k] = v;
    process.env[k] = v;
    log.info(`cal_env: setting ${k}=${v} in the processing environment`);
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

const SUPPORTED: DatasetId['instrument'][] = ['acs', 'wfc3'];

/** S3 settings a CONFIG file gives (AWS_* lines), which the shared S3 client would not see. */
function awsFromConfig(cfg: JobConfig): StoreOptions | undefined {
  const v = cfg.vars;
  if (!Object.keys(v).some((k) => k.startsWith('AWS_'))) return undefined;
  const o: StoreOptions = {};
  const endpoint = v.AWS_ENDPOINT_URL_S3 ?? v.AWS_ENDPOINT_URL;
  if (endpoint) o.endpoint = endpoint;
  if (v.AWS_REGION ?? v.AWS_DEFAULT_REGION) o.region = v.AWS_REGION ?? v.AWS_DEFAULT_REGION;
  if (v.AWS_ACCESS_KEY_ID && v.AWS_SECRET_ACCESS_KEY) {
    o.credentials = {
      accessKeyId: v.AWS_ACCESS_KEY_ID,
      secretAccessKey: v.AWS_SECRET_ACCESS_KEY,
      sessionToken: v.AWS_SESSION_TOKEN,
    };
  }
  return o;
}

function productPreview(p: CalibrateResult['products'][number], dir: string): Promise<PreviewResult> {
  const sdq = p.exposure.chips[0]?.header.number('SDQFLAGS', DEFAULT_SDQFLAGS) ?? DEFAULT_SDQFLAGS;
  const chips = p.chips.map((c) =>
    chipFromArrays(c.chip, c.arrays.nx, c.arrays.ny, c.arrays.sci, c.arrays.dq, sdq),
  );
  return previewFromChips(chips, `${p.rootname}_${p.kind}`, dir, p.path);
}

/** Runs one dataset through every step; never throws for a processing failure (only CMDLINE_ERROR). */
export async function processDataset(opts: ProcessOptions): Promise<ProcessResult> {
  const job = await Job.create(opts);
  await job.runSteps();
  return job.finish();
}

interface JobSetup {
  opts: ProcessOptions;
  ds: DatasetId;
  input: InputSpec;
  outRoot: string;
  cfg: JobConfig;
  env: NodeJS.ProcessEnv;
  layout: OutputLayout;
  scratch: string;
  log: ProcessLog;
}

/** The state of one job: its configuration, where it writes, and what each step produced. */
class Job {
  readonly log: ProcessLog;
  readonly runner: StepRunner;
  readonly metrics = new Metrics();
  readonly startedAt = new Date();
  readonly store: ObjectStore;
  readonly storeOptions: StoreOptions | undefined;
  readonly messages: Messages;
  /** Exit code of the output-side steps: S3_UPLOAD_ERROR for s3://, GENERIC_ERROR for file:. */
  readonly outCode: number;
  failure: StepFailure | undefined;
  /** A preview failure, reported once the products are safe. */
  deferred: StepFailure | undefined;
  inputs: FetchedInputs | undefined;
  work = '';
  crds: BestrefsResult | undefined;
  cal: CalibrateResult | undefined;
  outputs: OutputFile[] = [];
  previews: PreviewResult[] = [];
  inputHashes: { name: string; done: Promise<{ hex: string; size: number }> }[] = [];
  /** The raws' previews, started on a worker thread once bestrefs has rewritten the raws. */
  rawPreviews: Promise<PreviewResult[]> | undefined;

  readonly opts: ProcessOptions;
  readonly ds: DatasetId;
  readonly input: InputSpec;
  readonly outRoot: string;
  readonly cfg: JobConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly layout: OutputLayout;
  readonly scratch: string;

  private constructor(setup: JobSetup) {
    const { log, env, outRoot, opts, layout } = setup;
    this.opts = opts;
    this.ds = setup.ds;
    this.input = setup.input;
    this.outRoot = outRoot;
    this.cfg = setup.cfg;
    this.env = env;
    this.layout = layout;
    this.scratch = setup.scratch;
    this.log = log;
    this.runner = new StepRunner(log, env.CALDP_SIMULATE_ERROR);
    this.storeOptions = opts.storeOptions ?? awsFromConfig(setup.cfg);
    this.store = getObjectStore(outRoot, outRoot.startsWith('s3://') ? this.storeOptions : undefined);
    this.messages = new Messages(this.store, layout);
    this.outCode = layout.scheme === 's3' ? EXIT.S3_UPLOAD_ERROR : EXIT.GENERIC_ERROR;
  }

  /** Validates the command line (CmdlineError before anything is written) and makes the scratch folder. */
  static async create(opts: ProcessOptions): Promise<Job> {
    const baseEnv = opts.env ?? process.env;
    const ds = parseDataset(opts.dataset);
    const input = parseInput(opts.input);
    const outRoot = parseOutput(opts.output);
    const cfg = resolveConfig(opts.config, baseEnv, baseEnv.CALDP_HOME ?? homedir());
    const env: NodeJS.ProcessEnv = { ...baseEnv, ...cfg.vars };
    const log = new ProcessLog(opts.onLog);
    log.info(
      `caldera ${CALDERA_VERSION} processing ${ds.id} (${ds.instrument.toUpperCase()}): input ${input.uri}, output ${outRoot}, config ${cfg.source}`,
    );
    const scratchBase = env.CALDP_HOME ?? tmpdir();
    await mkdir(scratchBase, { recursive: true });
    const scratch = await mkdtemp(join(scratchBase, `caldera-${ds.id}-`));
    log.info(`scratch folder ${scratch}`);
    return new Job({
      opts,
      ds,
      input,
      outRoot,
      cfg,
      env,
      layout: new OutputLayout(outRoot, ds),
      scratch,
      log,
    });
  }

  get remote(): boolean {
    return this.layout.scheme === 's3';
  }

  async runSteps(): Promise<void> {
    let undoEnv = () => {};
    try {
      await this.startMessage();
      await this.fetch();
      if (this.inputs?.calEnv)
        undoEnv = await applyCalEnv(join(this.work, this.inputs.calEnv), this.env, this.log);
      await this.bestrefs();
      this.startRawPreviews();
      await this.calibrate();
      await this.runner.run('drizzle', EXIT.STAGE2_ERROR, async (rec) => {
        rec.status = 'skipped';
        rec.detail = 'stage 2 (drizzle) is not implemented yet';
      });
      await this.makePreviews();
      await this.copyOutputs();
      if (this.opts.tarball) await this.writeTarball();
    } catch (e) {
      this.failure =
        e instanceof StepFailure
          ? e
          : new StepFailure('process', memoryExitCode(e) ?? EXIT.GENERIC_ERROR, reasonOf(e), e);
    } finally {
      undoEnv();
    }
  }

  private startMessage(): Promise<void> {
    const info = `processing ${this.ds.id} since ${this.startedAt.toISOString()}`;
    const attempts = this.remote ? 3 : 1;
    // Shares the output code but is not where CALDP_SIMULATE_ERROR=25 belongs (the copy step is).
    return this.runner.run(
      'messages.start',
      this.outCode,
      () =>
        retry(() => this.messages.start(info), {
          log: this.log,
          what: 'state message',
          baseMs: 200,
          attempts,
        }),
      { noSimulate: true },
    );
  }

  private async fetch(): Promise<void> {
    const { input, ds, scratch, runner, log, env } = this;
    const fetched = await runner.run('fetch', fetchCode(input.kind), () =>
      fetchInputs(input, ds, scratch, runner, log, env, this.storeOptions),
    );
    this.inputs = fetched.inputs;
    this.work = fetched.work;
    // Hash the inputs as they arrived, before bestrefs rewrites the raws' headers.
    this.inputHashes = await Promise.all(
      fetched.inputs.files.map(async (f) => ({
        name: basename(f),
        done: (await startHash(f, 'sha256')).done,
      })),
    );
  }

  private get supported(): boolean {
    return SUPPORTED.includes(this.ds.instrument);
  }

  private async bestrefs(): Promise<void> {
    if (!this.supported) {
      this.runner.skip(
        'bestrefs',
        EXIT.BESTREFS_ERROR,
        `${this.ds.instrument.toUpperCase()} is not supported yet`,
      );
      return;
    }
    const raws = this.inputs!.raws.map((r) => join(this.work, r));
    this.crds = await this.runner.run('bestrefs', EXIT.BESTREFS_ERROR, async (rec) => {
      const r = await assignBestrefs(raws, this.ds, this.env, this.log);
      rec.detail = `${r.context}, ${r.refs.length} reference files`;
      return r;
    });
  }

  private async calibrate(): Promise<void> {
    const refs = this.crds;
    const inst = this.ds.instrument.toUpperCase();
    this.cal = await this.runner.run(
      'calibrate',
      EXIT.STAGE1_ERROR,
      async (rec) => {
        if (!this.supported || !refs) {
          throw new ProcessError(
            `${inst} calibration is not supported yet (only the ACS and WFC3 CCD imagers are)`,
            EXIT.STAGE1_ERROR,
          );
        }
        const target = join(this.work, this.inputs!.asn ?? this.inputs!.raws[0]);
        const r = await calibrate(target, {
          outDir: this.work,
          workers: this.opts.workers,
          prefixes: refs.prefixes,
          dirs: refs.dirs,
          crdsPath: refs.crdsPath,
          // The bestrefs step already wrote the references into the raws' headers.
          context: refs.context,
          noBestrefs: true,
        });
        rec.detail = r.products.map((p) => `${p.rootname}_${p.kind}`).join(', ');
        this.log.info(`calibration trailer (${r.trailerPath ?? 'not written'}):\n${r.trailer.trimEnd()}`);
        return r;
      },
      { memory: true },
    );
  }

  /**
   * The raws' previews depend on nothing the calibration makes, so they are read back from disk on
   * a worker thread while it runs: its single-threaded phases (reading, writing the products)
   * leave a core free. Their outcome is taken (and a failure reported) in the previews step.
   */
  private startRawPreviews(): void {
    const dir = join(this.scratch, 'previews');
    const raws = this.inputs!.files.filter((f) => f.endsWith('_raw.fits'));
    this.rawPreviews = mkdir(dir, { recursive: true }).then(() => createPreviewsInWorker(raws, dir));
    this.rawPreviews.catch(() => {});
  }

  /** Previews two at a time; a failure is kept for the end so the products are copied first. */
  private async makePreviews(): Promise<void> {
    const dir = join(this.scratch, 'previews');
    await mkdir(dir, { recursive: true });
    // The raws' previews were started on a worker thread before the calibration; this thread
    // previews the calibrated products from the arrays still in memory.
    const products = this.cal!.products;
    try {
      this.previews = await this.runner.run('previews', EXIT.CREATE_PREVIEWS_ERROR, async (rec) => {
        if (!this.rawPreviews) this.startRawPreviews();
        const fromDisk = this.rawPreviews!;
        // The products' JPEGs are encoded concurrently on libvips' threads.
        const fromMemory = await Promise.all(products.map((p) => productPreview(p, dir)));
        const out = [...(await fromDisk), ...fromMemory];
        rec.detail = `${out.length} previews`;
        return out;
      });
    } catch (e) {
      if (memoryExitCode(e)) throw e;
      this.deferred = e as StepFailure;
      this.log.warn(
        'previews failed: the products are copied first, then the job reports CREATE_PREVIEWS_ERROR',
      );
    }
  }

  private async copyOutputs(): Promise<void> {
    const inputs = this.inputs!;
    const cal = this.cal!;
    this.outputs = planOutputs(this.layout, {
      inputs: inputs.files,
      products: cal.products.map((p) => p.path!).filter(Boolean),
      trailer: cal.trailerPath,
      calEnv: inputs.calEnv && join(this.work, inputs.calEnv),
      previews: this.previews.flatMap((p) => [p.jpg, p.thumb]),
    });
    await this.runner.run('output', this.outCode, async (rec) => {
      await copyOutputs(this.store, this.outputs, this.log);
      rec.detail = `${this.outputs.length} files to ${this.layout.dataDir}`;
    });
  }

  private async writeTarball(): Promise<void> {
    const { layout, ds } = this;
    await this.runner.run('tarball', this.outCode, async (rec) => {
      const files = this.outputs.map((o) => ({
        name: `${ds.id}/${o.uri.slice(layout.dataDir.length + 1)}`,
        path: o.local,
      }));
      const w = await retry(() => this.store.write(layout.tarball, tarGzStream(files)), {
        log: this.log,
        what: 'tarball upload',
        retryable: isNetworkError,
      });
      this.outputs.push({ local: '', uri: layout.tarball, kind: 'tarball', size: w.size });
      rec.detail = `${layout.tarball} (${w.size} bytes)`;
    });
  }

  private async result(code: number, failure: StepFailure | undefined): Promise<ResultJson> {
    const inputs = await Promise.all(
      this.inputHashes.map(async (h) => {
        const d = await h.done.catch(() => undefined);
        return { name: h.name, size: d?.size, sha256: d?.hex };
      }),
    );
    await this.crds?.hashed.catch(() => undefined);
    return buildResult({
      ds: this.ds,
      code,
      failure,
      startedAt: this.startedAt,
      input: this.input.uri,
      via: this.inputs?.via,
      output: this.outRoot,
      config: this.cfg,
      steps: this.runner.records,
      crds: this.crds,
      inputs,
      outputs: this.outputs,
      previews: this.previews,
      version: CALDERA_VERSION,
      env: this.env,
    });
  }

  private async writeLogs(code: number, r: ResultJson): Promise<void> {
    const command =
      this.opts.command ??
      `caldera process ${this.ds.id} ${this.input.uri} ${this.outRoot} ${this.cfg.source}`;
    const enc = new TextEncoder();
    const { store, layout } = this;
    await Promise.all([
      store.write(layout.log('process.txt'), enc.encode(this.log.text())),
      store.write(layout.log('process_metrics.txt'), enc.encode(this.metrics.gnuTime(command, code))),
      store.write(layout.log('result.json'), enc.encode(`${JSON.stringify(r, null, 2)}\n`)),
    ]);
  }

  /** Logs, then the final state message; a failure of either is never reported as success. */
  async finish(): Promise<ProcessResult> {
    const attempts = this.remote ? 3 : 1;
    const opts = { log: this.log, baseMs: 200, attempts };
    let bad = this.failure ?? this.deferred;
    let code = bad ? bad.exitCode : EXIT.SUCCESS;
    if (bad)
      this.log.error(`${this.ds.id} failed in step ${bad.step}: ${exitName(code)}[${code}]: ${bad.reason}`);
    let result = await this.result(code, bad);
    this.log.info(`exit ${code} ${exitName(code)}; wall ${(result.wallMs / 1000).toFixed(2)} s`);
    try {
      await retry(() => this.writeLogs(code, result), { ...opts, what: 'writing logs' });
    } catch (e) {
      this.log.error(`could not write the logs to ${this.layout.dataDir}/logs: ${reasonOf(e)}`);
      if (!bad) bad = this.failure = new StepFailure('logs', this.outCode, reasonOf(e), e);
    }
    code = bad ? bad.exitCode : EXIT.SUCCESS;
    try {
      const failed = bad;
      await retry(
        () =>
          failed
            ? this.messages.error(failed.exitCode, failed.step, failed.reason)
            : this.messages.processed(this.outputs.map((o) => o.uri)),
        { ...opts, what: 'final state message' },
      );
    } catch (e) {
      this.log.error(`could not write the final state message: ${reasonOf(e)}`);
      if (!bad) {
        bad = this.failure = new StepFailure('messages.final', this.outCode, reasonOf(e), e);
        code = bad.exitCode;
        result = await this.result(code, bad);
        await this.writeLogs(code, result).catch(() => undefined);
      }
    }
    if (code === EXIT.SUCCESS) await rm(this.scratch, { recursive: true, force: true });
    else this.log.info(`scratch folder kept for inspection: ${this.scratch}`);
    return {
      exitCode: code,
      exitName: exitName(code) ?? 'UNKNOWN',
      dataset: this.ds.id,
      failedStep: bad?.step,
      reason: bad?.reason,
      output: this.outRoot,
      dataDir: this.layout.dataDir,
      steps: this.runner.records,
      outputs: this.outputs,
      previews: this.previews,
      result,
      scratch: code === EXIT.SUCCESS ? undefined : this.scratch,
    };
  }
}
