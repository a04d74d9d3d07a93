// Calibration benchmark: the 2-chip ACS/WFC chain (DQ init, overscan fit + subtraction, trim,
// bias, gain, noise → ERR, DQ, dark × DARKTIME, flat, statistics) on the anchors' synthetic inputs,
// inline on one core and with chips on 2 worker threads, against the numpy chain measured in the
// same run (/usr/bin/python3 ../shared/anchors/bench_calib.py).
// Run: npx node bench/calib.ts [--repeat N] [--no-python]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type CcdJob,
  type CcdResult,
  ChipPool,
  type OscnRow,
  type RefImage,
  runJob,
  type ChipArrays,
  inverseOf,
} from '../src/calib/index.ts';
import { openFits } from '../src/fits/index.ts';

// Run like bin/caldera does: glibc backs large allocations with transparent huge pages, which
// makes the first touch of fresh image-sized arrays several times cheaper.
if (!process.env.GLIBC_TUNABLES?.includes('hugetlb')) {
  const r = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':'),
    },
  });
  process.exit(r.status ?? 1);
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const REPEAT = Number(opt('--repeat', '7'));
const PY = '/usr/bin/python3';
const anchors = resolve(import.meta.dirname, '..', '..', 'shared', 'anchors');
const benchDir = process.env.BENCH_DIR ?? '/tmp/astro_anchor_bench';
const usePython =
  !args.includes('--no-python') && existsSync(PY) && existsSync(join(anchors, 'bench_calib.py'));

if (!existsSync(join(benchDir, 'acs_like_raw.fits'))) {
  if (!usePython) {
    console.log(`calib bench skipped: ${benchDir}/acs_like_raw.fits absent and no python to make it`);
    process.exit(0);
  }
  const r = spawnSync(PY, [join(anchors, 'make_synthetic.py')], {
    env: { ...process.env, BENCH_DIR: benchDir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`make_synthetic.py failed: ${r.stderr}`);
}

/** A typed array copied onto shared memory, so worker threads see it without a copy. */
function shared<T extends Float32Array | Uint16Array>(a: T): T {
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

const rawFile = openFits(join(benchDir, 'acs_like_raw.fits'));
const darktime = rawFile.hdus[0].header.number('DARKTIME');
const raws = [1, 2].map((v) => shared(rawFile.hdu('SCI', v).readImage({ type: 'auto' }).data as Uint16Array));
rawFile.close();
const refs = (name: string): RefImage[] => {
  const f = openFits(join(benchDir, `${name}_2chip.fits`));
  const out = [1, 2].map((v) => ({
    data: shared(f.hdu('SCI', v).readImage({ type: 'float32' }).data as Float32Array),
    nx: 4096,
    ny: 2048,
    ltv1: 0,
    ltv2: 0,
    file: `${name}_2chip.fits`,
  }));
  f.close();
  return out;
};
const bias = refs('bias');
const dark = refs('dark');
// The flat's reciprocal is derived once per reference (the pipeline caches it per worker); here it
// is shared with the workers like the reference itself.
const flat = refs('flat').map((r) => ({ ...r, inv: shared(inverseOf(r)) }));

// The anchor raw's layout: 24 prescan columns each side, 20 virtual rows on top of both chips.
const oscn: OscnRow = {
  ccdamp: 'AB',
  ccdchip: 1,
  binx: 1,
  biny: 1,
  nx: 4144,
  ny: 2068,
  trimx1: 24,
  trimx2: 24,
  trimx3: 0,
  trimx4: 0,
  trimy1: 0,
  trimy2: 20,
  biassecta1: 3,
  biassecta2: 22,
  biassectb1: 4123,
  biassectb2: 4142,
  vx1: 25,
  vx2: 4120,
  vy1: 2051,
  vy2: 2066,
};

function job(c: number, reuse?: ChipArrays): CcdJob {
  return {
    kind: 'ccd',
    raw: { data: raws[c], nx: 4144, ny: 2068, dq: 0, err: 0 },
    oscn,
    amps: ['A', 'B'],
    gain: [2, 2],
    readnoise: [9, 9],
    ccdbias: [0, 0],
    rawLtv: [24, 0],
    dqicorr: true,
    atodsat: 65535,
    bpix: [],
    biascorr: true,
    bias: bias[c],
    biasInDn: false,
    blevcorr: true,
    saturate: 84700,
    noise: true,
    // Not a CR-SPLIT: dark, flat and the statistics run in the same sweep.
    post: { dark: dark[c], darktime, flashdur: 0, flats: [flat[c]], exptime: 500, sdqflags: 31743 },
    reuse,
  };
}

function inline(reuse?: ChipArrays[]): CcdResult[] {
  return [0, 1].map((c) => runJob(job(c, reuse?.[c])) as CcdResult);
}

async function pooled(pool: ChipPool, reuse?: ChipArrays[]): Promise<CcdResult[]> {
  return Promise.all([0, 1].map((c) => pool.run<CcdResult>(job(c, reuse?.[c]))));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Wall time (median) and process CPU time (user + system, all threads) per run. */
async function time(label: string, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const ts: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const m = median(ts);
  console.log(
    JSON.stringify({
      tool: 'caldera',
      op: label,
      median_ms: +m.toFixed(2),
      min_ms: +Math.min(...ts).toFixed(2),
      max_ms: +Math.max(...ts).toFixed(2),
      cpu_median_ms: +median(cpu).toFixed(2),
      runs: REPEAT,
      Mpix_per_s: +((2 * 4096 * 2048) / m / 1000).toFixed(1),
    }),
  );
  return m;
}

const oneCore = await time('calib chain 2 chips + ERR + DQ + stats, 1 thread, fresh output arrays', () =>
  inline(),
);
let kept = inline().map((r) => r.arrays);
const oneCoreReuse = await time('same, 1 thread, recycled output arrays', () => {
  kept = inline(kept).map((r) => r.arrays);
});
const pool = new ChipPool(2);
const twoCores = await time('same, 2 worker threads, fresh output arrays', () => pooled(pool));
let keptW = (await pooled(pool)).map((r) => r.arrays);
const twoCoresReuse = await time('same, 2 worker threads, recycled output arrays', async () => {
  keptW = (await pooled(pool, keptW)).map((r) => r.arrays);
});
await pool.close();
console.log(
  JSON.stringify({ tool: 'caldera', op: 'stage ms per chip (1 thread)', ms: inline().map((r) => r.ms) }),
);

if (usePython) {
  const r = spawnSync(PY, [join(anchors, 'bench_calib.py')], {
    env: { ...process.env, BENCH_DIR: benchDir, REPEAT: String(REPEAT) },
    encoding: 'utf8',
    cwd: anchors,
  });
  if (r.status !== 0) {
    console.log(`numpy anchor failed: ${r.stderr.slice(-500)}`);
  } else {
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { tool: string; op: string; median_s: number });
    const sciOnly = lines.find((l) => l.tool.startsWith('numpy') && !l.op.includes('ERR'));
    const withErr = lines.find((l) => l.tool.startsWith('numpy') && l.op.includes('ERR'));
    for (const l of lines)
      console.log(JSON.stringify({ anchor: l.tool, op: l.op, median_ms: +(l.median_s * 1000).toFixed(2) }));
    if (sciOnly && withErr) {
      const e = withErr.median_s * 1000;
      const s = sciOnly.median_s * 1000;
      const r = (x: number) => `${(e / x).toFixed(2)}x`;
      console.log(
        `speed-up over numpy+ERR+DQ (${e.toFixed(1)} ms): 1 thread ${r(oneCore)} (recycled ${r(oneCoreReuse)}), ` +
          `2 threads ${r(twoCores)} (recycled ${r(twoCoresReuse)}); over numpy SCI-only (${s.toFixed(1)} ms): 1 thread ` +
          `${(s / oneCore).toFixed(2)}x; 2-thread scaling ${(oneCore / twoCores).toFixed(2)}x (recycled ${(oneCoreReuse / twoCoresReuse).toFixed(2)}x)`,
      );
    }
  }
}
