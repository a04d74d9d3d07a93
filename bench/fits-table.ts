// Binary-table reading: a 1M-row, 10-column table (ints, unsigned, scaled, floats, doubles,
// strings, logicals, a 3-vector) read whole and as a 2-column subset; astropy.io.fits reading the
// same columns (converted to arrays) is timed in the same run when python3 + astropy exist.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBinTable, openFits, readTable, writeFits } from '../src/fits/index.ts';
import { benchDir, machine, PYTHON, printRow, time } from './common.ts';

const N = 1_000_000;
mkdirSync(benchDir, { recursive: true });
const FILE = join(benchDir, 'table_1m.fits');

console.log(`# FITS tables — ${machine()}`);
const i32 = new Int32Array(N);
const u16 = new Uint16Array(N);
const i16 = new Int16Array(N);
const f32 = new Float32Array(N);
const f64 = new Float64Array(N);
const vec = new Float32Array(3 * N);
const k64 = new BigInt64Array(N);
const strs = new Array<string>(N);
const flags = new Array<boolean | null>(N);
for (let i = 0; i < N; i++) {
  i32[i] = i;
  u16[i] = i & 0xffff;
  i16[i] = (i % 2000) - 1000;
  f32[i] = i * 0.5;
  f64[i] = Math.sqrt(i);
  vec[3 * i] = i;
  vec[3 * i + 1] = -i;
  vec[3 * i + 2] = 1;
  k64[i] = BigInt(i) * 1000n;
  strs[i] = `obj${i % 1000}`;
  flags[i] = i % 3 === 0 ? null : i % 2 === 0;
}
const { header, data } = encodeBinTable({
  name: 'EVENTS',
  columns: [
    { name: 'ID', data: i32 },
    { name: 'CHAN', data: u16 },
    {
      name: 'SCALED',
      format: '1I',
      bscale: 0.01,
      bzero: 5,
      data: Float64Array.from(i16, (v) => v * 0.01 + 5),
    },
    { name: 'FLUX', data: f32 },
    { name: 'TIME', data: f64 },
    { name: 'POS', data: vec, dim: [3] },
    { name: 'BIG', data: k64 },
    { name: 'NAME', format: '8A', data: strs },
    { name: 'GOOD', data: flags },
    { name: 'ERR', data: f32 },
  ],
});
writeFits(FILE, [{ kind: 'encoded', header, data }], { checksum: false, fsync: false });
const mb = data.length / 1e6;

const whole = await time(() => {
  using f = openFits(FILE);
  return readTable(f.hdu(1));
}, 5);
const subset = await time(() => {
  using f = openFits(FILE);
  return readTable(f.hdu(1), { columns: ['TIME', 'FLUX'] });
}, 5);
const numeric = await time(() => {
  using f = openFits(FILE);
  return readTable(f.hdu(1), { columns: ['ID', 'CHAN', 'SCALED', 'FLUX', 'TIME', 'POS', 'BIG', 'ERR'] });
}, 5);

const astropy = (cols: string): number | undefined => {
  if (!existsSync(PYTHON)) return undefined;
  const code = `
import time, numpy as np
from astropy.io import fits
best = []
for _ in range(5):
    t0 = time.perf_counter()
    with fits.open('${FILE}', memmap=False) as h:
        d = h[1].data
        names = ${cols} or d.names
        out = [np.array(d[n]) for n in names]
    best.append(time.perf_counter() - t0)
best.sort()
print(best[len(best)//2] * 1000)
`;
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
};
const rate = (ms: number) => `${(((N / ms) * 1000) / 1e6).toFixed(1)} M rows/s`;
const a1 = astropy('None');
const a2 = astropy("['TIME', 'FLUX']");
const a3 = astropy("['ID', 'CHAN', 'SCALED', 'FLUX', 'TIME', 'POS', 'BIG', 'ERR']");
printRow({
  group: 'table',
  op: `read 1M rows × 10 cols (${rate(whole.medianMs)})`,
  ours: whole,
  mb,
  anchor: a1 ? { name: 'astropy', medianMs: a1 } : undefined,
});
printRow({
  group: 'table',
  op: `read 8 numeric cols (${rate(numeric.medianMs)})`,
  ours: numeric,
  mb,
  anchor: a3 ? { name: 'astropy', medianMs: a3 } : undefined,
});
printRow({
  group: 'table',
  op: `read 2 of 10 cols (${rate(subset.medianMs)})`,
  ours: subset,
  mb,
  anchor: a2 ? { name: 'astropy', medianMs: a2 } : undefined,
});
rmSync(FILE, { force: true });
