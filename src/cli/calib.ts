// `caldera simulate …` and `caldera calibrate …`: thin shells over src/calib.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { CalibError, calibrate, type SimInstrument, simulate } from '../calib/index.ts';
import { CliError } from './errors.ts';
import { type CliIO, formatTable, setExitCode, toJson } from './io.ts';

const INSTRUMENTS: SimInstrument[] = ['acs-wfc', 'acs-hrc', 'wfc3-uvis'];

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${what} must be a positive integer, got '${v}'`);
  return n;
}

export function registerCalib(program: Command, io: CliIO): void {
  program
    .command('simulate')
    .description(
      'Write a synthetic HST observation (raws, association, references, CRDS cache, ground truth).',
    )
    .argument('<dataset>', 'dataset id, e.g. jsim01010 (the association id when --exposures > 1)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--instrument <name>', `one of ${INSTRUMENTS.join(', ')}`, 'acs-wfc')
    .option('--exposures <n>', 'exposures (2 or more make a CR-SPLIT association)', '1')
    .option('--seed <s>', 'random seed', '1')
    .option('--size <size>', 'full (real frame sizes) or small (reduced frames for tests)', 'full')
    .option('--json', 'machine-readable output')
    .action(
      (
        dataset: string,
        opts: {
          out: string;
          instrument: string;
          exposures: string;
          seed: string;
          size: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (!INSTRUMENTS.includes(opts.instrument as SimInstrument))
          throw new CliError(`--instrument must be one of ${INSTRUMENTS.join(', ')}`);
        if (opts.size !== 'full' && opts.size !== 'small')
          throw new CliError("--size must be 'full' or 'small'");
        const r = simulate(dataset, {
          outDir: opts.out,
          instrument: opts.instrument as SimInstrument,
          exposures: positiveInt(opts.exposures, '--exposures'),
          seed: Number(opts.seed) || 0,
          size: opts.size,
        });
        const summary = {
          dataset: r.datasetId,
          instrument: r.instrument,
          raws: r.exposures.map((e) => e.raw),
          asn: r.asn ?? null,
          crdsPath: r.crdsPath,
          pmap: r.pmap,
          truth: [r.truthJson, ...r.exposures.map((e) => e.truth)],
          references: r.refs,
        };
        if (opts.json) io.out(toJson(summary));
        else {
          io.out(`wrote ${r.exposures.length} raw exposure(s) of ${r.instrument} to ${r.dir}`);
          if (r.asn) io.out(`association: ${r.asn} (product ${r.crjProduct}_crj)`);
          io.out(`CRDS cache: ${r.crdsPath} (context ${r.pmap}); truth: ${r.truthJson}`);
          io.out(`calibrate with: CRDS_PATH=${r.crdsPath} caldera calibrate ${r.asn ?? r.exposures[0].raw}`);
        }
        setExitCode(cmd, 0);
      },
    );

  program
    .command('calibrate')
    .description(
      'Calibrate a raw exposure or an association (_asn.fits) into _flt/_crj files and a .tra trailer.',
    )
    .argument('<input>', '_raw.fits or _asn.fits')
    .option('--out <dir>', 'output folder (default: beside the input)')
    .option(
      '--crds-path <dir>',
      'CRDS cache holding the references (default: $CRDS_PATH, or ./crds beside the input)',
    )
    .option(
      '--context <pmap>',
      'CRDS context selecting the references (default: $CRDS_CONTEXT, else the newest in the cache)',
    )
    .option('--workers <n>', 'worker threads for the chips (0 = none)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        input: string,
        opts: { out?: string; crdsPath?: string; context?: string; workers?: string; json?: boolean },
        cmd: Command,
      ) => {
        const beside = join(dirname(input), 'crds');
        const crdsPath = opts.crdsPath ?? process.env.CRDS_PATH ?? (existsSync(beside) ? beside : undefined);
        let r: Awaited<ReturnType<typeof calibrate>>;
        try {
          r = await calibrate(input, {
            outDir: opts.out,
            crdsPath,
            context: opts.context,
            dirs: [dirname(input)],
            workers: opts.workers === undefined ? undefined : Number(opts.workers),
          });
        } catch (err) {
          if (err instanceof CalibError && opts.json) {
            io.out(
              toJson({
                ok: false,
                code: err.code,
                step: err.step,
                file: err.file ?? null,
                message: err.message,
              }),
            );
            setExitCode(cmd, err.exitCode);
            return;
          }
          throw err;
        }
        const products = r.products.map((p) => ({
          kind: p.kind,
          path: p.path,
          chips: p.chips.map((c) => ({
            ver: c.ver,
            chip: c.chip,
            nx: c.arrays.nx,
            ny: c.arrays.ny,
            ...c.stats,
            biaslev: Object.fromEntries(c.ampBias.map((b) => [b.amp, b.mean])),
          })),
          rejRate: p.rejRate ?? null,
        }));
        if (opts.json) {
          io.out(
            toJson({
              ok: true,
              input,
              detector: r.detector,
              switches: r.switches,
              products,
              steps: r.steps,
              trailer: r.trailerPath,
              ms: r.ms,
            }),
          );
        } else {
          io.out(
            formatTable(
              ['step', 'status', 'ms', 'detail'],
              r.steps.map((s) => [s.step, s.status, s.ms.toFixed(1), s.detail.slice(0, 90)]),
            ),
          );
          for (const p of products) io.out(`${p.kind}: ${p.path}`);
          io.out(`trailer: ${r.trailerPath}  (${r.ms.toFixed(0)} ms)`);
        }
        setExitCode(cmd, 0);
      },
    );
}
