// Shared benchmark plumbing: mitata for timing, the anchors in ../shared/anchors for the
// established tools measured in the same run, and one printed line per result with its ratio.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { measure } from 'mitata';

export const projectRoot = resolve(import.meta.dirname, '..');
export const anchorsDir = resolve(projectRoot, '..', 'shared', 'anchors');
export const benchDir = process.env.BENCH_DIR ?? '/tmp/caldera-bench';
export const PYTHON = '/usr/bin/python3';

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

/** Median of several runs of `fn` (ms), through mitata's sampler. */
export async function time(fn: () => unknown, samples = 7): Promise<Timing> {
  const stats = await measure(fn, {
    min_samples: samples,
    max_samples: samples,
    min_cpu_time: 0,
    warmup_samples: 1,
  });
  return { medianMs: stats.p50 / 1e6, minMs: stats.min / 1e6, runs: stats.samples.length };
}

export interface AnchorResult {
  tool: string;
  op: string;
  median_s: number;
  min_s: number;
  MB_per_s?: number;
  note?: string;
}

/** Writes the anchors' synthetic inputs (4096² star field, ACS-like raw, 2-chip references) once. */
export function ensureSyntheticInputs(): boolean {
  mkdirSync(benchDir, { recursive: true });
  if (existsSync(join(benchDir, 'acs_like_raw.fits')) && existsSync(join(benchDir, 'flat_2chip.fits')))
    return true;
  if (!existsSync(join(anchorsDir, 'make_synthetic.py')) || !existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, [join(anchorsDir, 'make_synthetic.py')], {
    env: { ...process.env, BENCH_DIR: benchDir },
    stdio: 'inherit',
  });
  return r.status === 0;
}

/** Runs an anchor script (JSON lines on stdout); [] when python or the anchors are missing. */
export function runAnchor(script: string, env: Record<string, string> = {}): AnchorResult[] {
  const path = join(anchorsDir, script);
  if (!existsSync(path) || !existsSync(PYTHON)) return [];
  const r = spawnSync(PYTHON, [path], {
    cwd: anchorsDir,
    env: {
      ...process.env,
      BENCH_DIR: benchDir,
      BENCH_RESULTS: join(benchDir, 'anchor-results.jsonl'),
      ...env,
    },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) {
    console.error(`anchor ${script} failed (${r.status}): ${r.stderr.split('\n').slice(-3).join(' ')}`);
    return [];
  }
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AnchorResult);
}

export function findAnchor(results: AnchorResult[], tool: string, op: string): AnchorResult | undefined {
  return results.find((r) => r.tool.startsWith(tool) && r.op.startsWith(op));
}

export interface Row {
  group: string;
  op: string;
  ours: Timing;
  mb?: number;
  anchor?: { name: string; medianMs: number };
  goal?: string;
}

/** Prints one result: our median, throughput, the anchor's median and the speed ratio. */
export function printRow(row: Row): void {
  const mbps = row.mb ? `${((row.mb / row.ours.medianMs) * 1000).toFixed(0)} MB/s` : '';
  const vs = row.anchor
    ? `| ${row.anchor.name} ${row.anchor.medianMs.toFixed(1)} ms | ratio ${(row.anchor.medianMs / row.ours.medianMs).toFixed(2)}x`
    : '| (no anchor in this run)';
  console.log(
    `${row.group} | ${row.op} | ${row.ours.medianMs.toFixed(1)} ms ${mbps} ${vs}${row.goal ? ` | goal ${row.goal}` : ''}`,
  );
}

export function machine(): string {
  return `${cpus().length} cpu, ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/**
 * Median of runs that each need an untimed clean-up afterwards (e.g. deleting a written file,
 * whose page-cache release would otherwise be charged to the next write). mitata's sampler has
 * no per-iteration teardown, hence this small loop.
 */
export function timeEach(fn: (i: number) => void, cleanup: (i: number) => void, samples = 7): Timing {
  fn(-1);
  cleanup(-1);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    fn(i);
    times.push(performance.now() - t0);
    cleanup(i);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], minMs: times[0], runs: times.length };
}
