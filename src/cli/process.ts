// `caldera process`, `caldera explain-exit` and `caldera demo`: thin shells over src/process.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { simulate } from '../calib/index.ts';
import { exitName, exitTable, explainExit, type ProcessResult, processDataset } from '../process/index.ts';
import { CliError } from './errors.ts';
import { type CliIO, formatTable, setExitCode, toJson } from './io.ts';

interface ProcessFlags {
  tarball?: boolean;
  workers?: string;
  verbose?: boolean;
  json?: boolean;
}

function workersOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--workers must be an integer >= 0, got '${v}'`);
  return n;
}

export function stepTable(r: ProcessResult): string {
  return formatTable(
    ['step', 'status', 'wall ms', 'cpu ms', 'peak MB', 'detail'],
    r.steps.map((s) => [
      s.step,
      s.status === 'failed' ? `FAILED ${s.exitCode}` : s.status,
      s.wallMs.toFixed(1),
      s.cpuMs.toFixed(1),
      s.peakRssMb.toFixed(0),
      (s.reason ?? s.detail ?? '').slice(0, 70),
    ]),
  );
}

function report(io: CliIO, r: ProcessResult, json?: boolean): void {
  if (json) {
    io.out(toJson({ ...r.result, dataDir: r.dataDir, scratch: r.scratch ?? null }));
    return;
  }
  io.out(stepTable(r));
  io.out('');
  io.out(`${r.dataset}: ${explainExit(r.exitCode)}`);
  if (r.reason) io.out(`failed step: ${r.failedStep}: ${r.reason}`);
  io.out(`outputs: ${r.dataDir} (logs/process.txt, logs/result.json)`);
  if (r.scratch) io.out(`scratch kept: ${r.scratch}`);
}

export async function runProcess(
  io: CliIO,
  args: (string | undefined)[],
  flags: ProcessFlags,
  command: string,
): Promise<ProcessResult> {
  const [dataset, input, output, config] = args;
  return processDataset({
    dataset: dataset ?? '',
    input,
    output,
    config,
    tarball: flags.tarball,
    workers: workersOf(flags.workers),
    onLog: flags.verbose ? (l) => io.err(l) : undefined,
    command,
  });
}

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${relative(root, p).padEnd(60)} ${String(st.size).padStart(10)}`);
    }
  };
  walk(root);
  return out;
}

export function registerProcess(program: Command, io: CliIO): void {
  program
    .command('process')
    .description(
      'Calibrate one HST dataset end to end (CALDP): inputs, CRDS, calibration, previews, outputs, messages.',
    )
    .argument('<dataset>', 'HST dataset id (ipppssoot), e.g. j8cb010b0')
    .argument('[input]', 'file:<dir> | astroquery: | archive: | s3://bucket/prefix', 'file:.')
    .argument('[output]', 'file:<dir> | s3://bucket/prefix', 'file:.')
    .argument('[config]', 'onsite | offsite | aws | a KEY=VALUE file', 'onsite')
    .option('--tarball', 'also write outputs/<dataset>/<dataset>.tar.gz')
    .option('--workers <n>', 'calibration worker threads (0 = main thread)')
    .option('--verbose', 'echo the process.txt log to stderr')
    .option('--json', 'print result.json')
    .action(
      async (
        dataset: string,
        input: string,
        output: string,
        config: string,
        flags: ProcessFlags,
        cmd: Command,
      ) => {
        const r = await runProcess(
          io,
          [dataset, input, output, config],
          flags,
          `caldera process ${[dataset, input, output, config].join(' ')}`,
        );
        report(io, r, flags.json);
        setExitCode(cmd, r.exitCode);
      },
    );

  program
    .command('explain-exit')
    .description('Explain a CALDP/caldera process exit code (without one: the whole table).')
    .argument('[code]', 'exit code number or name, e.g. 23 or STAGE1_ERROR')
    .option('--json', 'machine-readable output')
    .action((code: string | undefined, flags: { json?: boolean }, cmd: Command) => {
      if (code === undefined) {
        const t = exitTable();
        io.out(
          flags.json
            ? toJson(t)
            : formatTable(
                ['code', 'name', 'meaning'],
                t.map((r) => [r.code, r.name, r.meaning]),
              ),
        );
        setExitCode(cmd, 0);
        return;
      }
      const text = explainExit(code);
      const known = !text.includes('unhandled exit code');
      if (flags.json) {
        const n = /^\d+$/.test(code)
          ? Number(code)
          : exitTable().find((r) => r.name === code.toUpperCase())?.code;
        io.out(
          toJson({
            code: n ?? null,
            name: n === undefined ? null : (exitName(n) ?? null),
            explanation: text,
          }),
        );
      } else io.out(text);
      setExitCode(cmd, known ? 0 : 1);
    });

  program
    .command('demo')
    .description(
      'Simulate an ACS/WFC CR-SPLIT association and its CRDS cache, then `caldera process` it end to end.',
    )
    .option('--size <size>', 'full (real ACS/WFC frames) or small', 'full')
    .option('--dir <dir>', 'folder for the demo (default: a new temp folder)')
    .option('--clean', 'remove the demo folder afterwards')
    .option('--json', 'print result.json')
    .action(async (flags: { size: string; dir?: string; clean?: boolean; json?: boolean }, cmd: Command) => {
      if (flags.size !== 'full' && flags.size !== 'small')
        throw new CliError("--size must be 'full' or 'small'");
      const dir = flags.dir ?? mkdtempSync(join(tmpdir(), 'caldera-demo-'));
      const t0 = performance.now();
      const sim = simulate('j8cb010b0', {
        outDir: join(dir, 'inputs'),
        exposures: 2,
        size: flags.size,
        instrument: 'acs-wfc',
      });
      const simMs = performance.now() - t0;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        CRDS_PATH: sim.crdsPath,
        CRDS_CONTEXT: sim.pmap,
        CALDP_HOME: join(dir, 'scratch'),
      };
      delete env.CALDP_SIMULATE_ERROR;
      const r = await processDataset({
        dataset: 'j8cb010b0',
        input: `file:${join(dir, 'inputs')}`,
        output: `file:${join(dir, 'outputs')}`,
        config: 'onsite',
        env,
        command: 'caldera demo',
      });
      if (flags.json) io.out(toJson({ dir, simulateMs: simMs, ...r.result }));
      else {
        io.out(
          `simulated ${sim.exposures.length} ACS/WFC exposures (${flags.size}) and a CRDS cache in ${(simMs / 1000).toFixed(1)} s: ${join(dir, 'inputs')}`,
        );
        io.out(
          `\n$ caldera process j8cb010b0 file:${join(dir, 'inputs')} file:${join(dir, 'outputs')} onsite   (CRDS_PATH=${sim.crdsPath})\n`,
        );
        io.out(`output tree (${join(dir, 'outputs')}):`);
        for (const l of tree(join(dir, 'outputs'))) io.out(`  ${l}`);
        io.out('');
        io.out(stepTable(r));
        io.out('');
        io.out(`exit code ${r.exitCode}: ${explainExit(r.exitCode)}`);
        if (r.reason) io.out(`failed step ${r.failedStep}: ${r.reason}`);
        io.out('previews:');
        for (const p of r.outputs.filter((o) => o.kind === 'preview'))
          io.out(`  ${p.uri.replace(/^file:/, '')}`);
      }
      if (flags.clean) rmSync(dir, { recursive: true, force: true });
      setExitCode(cmd, r.exitCode);
    });
}
