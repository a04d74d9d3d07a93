// `caldera process` on a full-size simulated ACS/WFC 2-exposure CR-SPLIT association (file: in and
// out, onsite read-only CRDS cache): wall time of the whole job and of each step, median of 3 runs
// after one warm-up. Goal (issue 6): the whole job under 2 s on a 2-core machine.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../src/calib/index.ts';
import { type ProcessResult, processDataset } from '../src/process/index.ts';
import { benchDir } from './common.ts';

const RUNS = Number(process.env.BENCH_PROCESS_RUNS ?? 3);
const dir = join(benchDir, 'process');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const t0 = performance.now();
const sim = simulate('j8cb010b0', { outDir: join(dir, 'in'), exposures: 2, size: 'full', seed: 1 });
console.log(
  `simulated full-size ACS/WFC 2-exposure association in ${((performance.now() - t0) / 1000).toFixed(1)} s (${availableParallelism()} cores)`,
);

const env: NodeJS.ProcessEnv = { ...process.env, CRDS_PATH: sim.crdsPath, CALDP_HOME: join(dir, 'scratch') };
delete env.CALDP_SIMULATE_ERROR;

let trailer = '';

async function once(i: number): Promise<{ wall: number; r: ProcessResult }> {
  const out = join(dir, `out${i}`);
  const t = performance.now();
  const r = await processDataset({
    dataset: 'j8cb010b0',
    input: `file:${join(dir, 'in')}`,
    output: `file:${out}`,
    config: 'onsite',
    env,
  });
  const wall = performance.now() - t;
  if (r.exitCode !== 0) throw new Error(`process failed: ${r.exitName} in ${r.failedStep}: ${r.reason}`);
  // The trailer's per-stage timings of the calibration, kept from the last run for the report.
  trailer = readFileSync(join(out, 'data', 'acs', 'j8cb010b0', 'j8cb010b0.tra'), 'utf8');
  rmSync(out, { recursive: true, force: true });
  return { wall, r };
}

await once(-1); // warm-up: module loading, sharp/libvips start, page cache
const runs: { wall: number; r: ProcessResult }[] = [];
for (let i = 0; i < RUNS; i++) runs.push(await once(i));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const steps = runs[0].r.steps.map((s) => s.step);
console.log(
  `${'step'.padEnd(16)} ${'median ms'.padStart(10)} ${'cpu ms'.padStart(10)} ${'peak MB'.padStart(8)}`,
);
for (const name of steps) {
  const recs = runs.map((x) => x.r.steps.find((s) => s.step === name)!);
  console.log(
    `${name.padEnd(16)} ${median(recs.map((s) => s.wallMs))
      .toFixed(1)
      .padStart(10)} ${median(recs.map((s) => s.cpuMs))
      .toFixed(1)
      .padStart(10)} ${median(recs.map((s) => s.peakRssMb))
      .toFixed(0)
      .padStart(8)}`,
  );
}
if (process.argv.includes('--trailer')) console.log(trailer);
const total = median(runs.map((x) => x.wall));
console.log(
  `process (whole job) median ${(total / 1000).toFixed(2)} s over ${RUNS} runs; goal < 2 s: ${total < 2000 ? 'met' : 'NOT met'}`,
);
rmSync(dir, { recursive: true, force: true });
