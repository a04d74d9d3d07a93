// RICE_1 decompression speed on an ACS/WFC-like raw exposure: two 4144 × 2068 uint16 chips
// (bias + read noise + stars + cosmic rays), compressed one row per tile as fpack does.
// Times our decompression (median of several runs) and, when Debian's funpack is installed,
// `funpack -S` on the same file in the same run, and prints the ratio.
// Run: npx node bench/fits-compress.ts [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressImage, fitsToBytes, Header, openFits } from '../src/fits/index.ts';

const NX = 4144;
const NY = 2068;
const CHIPS = 2;
const RUNS = Number(process.argv[2] ?? 9);
const WARM = 3;

/** Deterministic xorshift PRNG so every run measures the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function makeChip(seed: number): Uint16Array {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const img = new Float64Array(NX * NY);
  for (let i = 0; i < img.length; i++) img[i] = 2200 + 60 + gauss() * 5;
  for (let s = 0; s < 3000; s++) {
    const cx = r() * NX;
    const cy = r() * NY;
    const flux = 200 * 10 ** (r() * 3);
    const sig = 1.2 + r();
    for (let y = Math.max(0, Math.floor(cy - 6 * sig)); y < Math.min(NY, cy + 6 * sig); y++) {
      for (let x = Math.max(0, Math.floor(cx - 6 * sig)); x < Math.min(NX, cx + 6 * sig); x++) {
        img[y * NX + x] +=
          (flux / (2 * Math.PI * sig * sig)) * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sig * sig));
      }
    }
  }
  for (let c = 0; c < 20000; c++) img[Math.floor(r() * img.length)] += 500 + r() * 20000;
  return Uint16Array.from(img, (v) => Math.max(0, Math.min(65535, Math.round(v))));
}

function fitsFile(hdus: { header: Header; data: Uint8Array }[]): Uint8Array {
  return fitsToBytes(
    hdus.map((h) => ({ kind: 'encoded' as const, header: h.header, data: h.data })),
    { checksum: false },
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const dir = mkdtempSync(join(tmpdir(), 'caldera-bench-'));
try {
  const chips = Array.from({ length: CHIPS }, (_, i) => makeChip(1234 + i));
  const t0 = performance.now();
  const hdus = chips.map((data, i) => {
    const header = Header.from([
      ['XTENSION', 'IMAGE'],
      ['BITPIX', 16],
      ['NAXIS', 2],
      ['NAXIS1', NX],
      ['NAXIS2', NY],
      ['PCOUNT', 0],
      ['GCOUNT', 1],
      ['EXTNAME', 'SCI'],
      ['EXTVER', i + 1],
    ]);
    return compressImage({ data, naxes: [NX, NY], header }, { type: 'RICE_1' });
  });
  const tCompress = performance.now() - t0;
  const path = join(dir, 'acs_like_raw.fits.fz');
  const bytes = fitsFile(hdus);
  writeFileSync(path, bytes);
  const rawBytes = CHIPS * NX * NY * 2;
  console.log(
    `image: ${CHIPS} × ${NX} × ${NY} uint16 = ${(rawBytes / 1e6).toFixed(1)} MB; file ${(bytes.length / 1e6).toFixed(1)} MB (ratio ${(rawBytes / bytes.length).toFixed(2)}); compress ${tCompress.toFixed(0)} ms`,
  );

  // Ours and funpack alternate run by run so both see the same machine load; the first WARM runs
  // of each are discarded (JIT tiering, worker start-up, page cache). CPU time (all threads / user+sys of the
  // child) is reported too: it does not depend on what else the machine is doing.
  const hasFunpack = spawnSync('sh', ['-c', 'command -v funpack'], { stdio: 'ignore' }).status === 0;
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  const theirsCpu: number[] = [];
  for (let run = 0; run < RUNS + WARM; run++) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    const f = openFits(path);
    for (let i = 1; i <= CHIPS; i++) f.hdu(i).readImage();
    f.close();
    const wall = performance.now() - t;
    const cu = process.cpuUsage(c0);
    if (run >= WARM) {
      ours.push(wall);
      oursCpu.push((cu.user + cu.system) / 1000);
    }
    if (!hasFunpack) continue;
    const t2 = performance.now();
    // `times` prints the children's user and system seconds on its second line.
    const r = spawnSync('sh', ['-c', `funpack -S '${path}' > /dev/null; times`], { encoding: 'utf8' });
    const wall2 = performance.now() - t2;
    if (r.status !== 0) throw new Error(`funpack failed: ${r.stderr}`);
    const child = r.stdout.trim().split('\n').pop() ?? '';
    const secs = [...child.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
      (s, m) => s + Number(m[1]) * 60 + Number(m[2]),
      0,
    );
    if (run >= WARM) {
      theirs.push(wall2);
      theirsCpu.push(secs * 1000);
    }
  }
  const mb = rawBytes / 1e6;
  const line = (name: string, wall: number[], cpu: number[]) =>
    `${name}: wall median ${median(wall).toFixed(1)} ms (${(mb / (median(wall) / 1000)).toFixed(0)} MB/s), best ${Math.min(...wall).toFixed(1)} ms; CPU median ${median(cpu).toFixed(1)} ms`;
  console.log(line(`caldera readImage (RICE_1 → uint16), ${RUNS} runs`, ours, oursCpu));
  if (!hasFunpack) {
    console.log('funpack not installed (Debian libcfitsio-bin): no comparison');
  } else {
    console.log(line(`funpack -S > /dev/null, ${RUNS} runs`, theirs, theirsCpu));
    console.log(
      `speed ratio caldera/funpack: wall median ${(median(theirs) / median(ours)).toFixed(2)}×, best ${(Math.min(...theirs) / Math.min(...ours)).toFixed(2)}×; CPU-time ratio ${(median(theirsCpu) / median(oursCpu)).toFixed(2)}×`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
