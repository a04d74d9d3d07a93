// FITS I/O against astropy.io.fits (and fitsio) on the anchors' synthetic inputs, in one run.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openFits, writeFits } from '../src/fits/index.ts';
import {
  benchDir,
  ensureSyntheticInputs,
  PYTHON,
  findAnchor,
  machine,
  printRow,
  runAnchor,
  time,
  timeEach,
} from './common.ts';

if (!ensureSyntheticInputs()) {
  console.log('fits-io: skipped (needs /usr/bin/python3 with numpy + astropy and ../shared/anchors)');
  process.exit(0);
}
const IMG = join(benchDir, 'starfield_4096_f32.fits');
const RAW = join(benchDir, 'acs_like_raw.fits');
const OUT = join(benchDir, 'caldera_io_out.fits');
const imgMB = (4096 * 4096 * 4) / 1e6;
const rawMB = (2 * 4144 * 2068 * 2) / 1e6;

console.log(`# FITS I/O — ${machine()}`);
const anchors = runAnchor('bench_io.py', { REPEAT: '5' });

const readImg = await time(() => {
  const f = openFits(IMG);
  const d = f.hdus[0].readImage().data;
  f.close();
  return d;
});
const readRaw = await time(() => {
  const f = openFits(RAW);
  const a = f.hdu('SCI', 1).readImage().data;
  const b = f.hdu('SCI', 2).readImage().data;
  f.close();
  return [a, b];
});
const img = (() => {
  const f = openFits(IMG);
  const d = f.hdus[0].readImage();
  f.close();
  return d;
})();
const rawFile = openFits(RAW);
const rawHdus = rawFile.hdus.map((h) =>
  h.kind === 'IMAGE' && !h.isConstantImage && h.dataSize > 0
    ? { kind: 'image' as const, header: h.header, data: h.readImage().data, naxes: h.layout.naxes }
    : { kind: 'copy' as const, hdu: h },
);
// Each write goes to a new name; deleting it afterwards is not timed (astropy's anchor overwrites
// in place, which frees the old pages inside its timing, so this favours neither side much).
const out = (i: number) => `${OUT}.${i + 1}`;
const drop = (i: number) => rmSync(out(i), { force: true });
const writeImg = timeEach(
  (i) =>
    writeFits(out(i), [{ kind: 'image', data: img.data, naxes: img.naxes }], {
      checksum: false,
      fsync: false,
    }),
  drop,
);
const writeImgSum = timeEach(
  (i) => writeFits(out(i), [{ kind: 'image', data: img.data, naxes: img.naxes }], { fsync: false }),
  drop,
);
const writeRaw = timeEach((i) => writeFits(out(i), rawHdus, { checksum: false, fsync: false }), drop);
rawFile.close();
rmSync(OUT, { force: true });

// The anchor's write test hands astropy the big-endian array it read (no byte swap needed).
// caldera's arrays are native-endian, so also time astropy writing the same native array.
const nativeAnchor = (() => {
  const code = `
import json, os, time, numpy as np
from astropy.io import fits
img = fits.getdata(${JSON.stringify(IMG)}).astype('<f4')
ts = []
for i in range(7):
    p = ${JSON.stringify(`${OUT}.py`)} + str(i)
    t = time.perf_counter(); fits.PrimaryHDU(img).writeto(p); ts.append(time.perf_counter() - t); os.remove(p)
ts.sort(); print(json.dumps({"median_s": ts[len(ts) // 2]}))`;
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout).median_s * 1000 : undefined;
})();

const a = (op: string) => {
  const r = findAnchor(anchors, 'astropy', op);
  return r ? { name: 'astropy', medianMs: r.median_s * 1000 } : undefined;
};
const g = 'fits-io';
printRow({
  group: g,
  op: 'read 4096² float32 → native Float32Array',
  ours: readImg,
  mb: imgMB,
  anchor: a('read 4096x4096 float32 + convert'),
  goal: '≥1x astropy',
});
printRow({
  group: g,
  op: 'read ACS-like raw, 2 SCI uint16',
  ours: readRaw,
  mb: rawMB,
  anchor: a('read ACS-like raw'),
  goal: '≥1x astropy',
});
printRow({
  group: g,
  op: 'write 4096² float32 (no checksum, no fsync)',
  ours: writeImg,
  mb: imgMB,
  anchor: a('write 4096x4096'),
  goal: '≥1x astropy',
});
if (nativeAnchor !== undefined) {
  printRow({
    group: g,
    op: 'write 4096² float32, native-endian input to both (no checksum, no fsync)',
    ours: writeImg,
    mb: imgMB,
    anchor: { name: 'astropy (native array)', medianMs: nativeAnchor },
    goal: '≥1x astropy',
  });
}
printRow({
  group: g,
  op: 'write 4096² float32 with CHECKSUM/DATASUM',
  ours: writeImgSum,
  mb: imgMB,
  anchor: a('write 4096x4096'),
});
printRow({
  group: g,
  op: 'write ACS-like raw MEF (no checksum, no fsync)',
  ours: writeRaw,
  mb: rawMB,
  anchor: a('write ACS-like raw'),
  goal: '≥1x astropy',
});
for (const r of anchors)
  if (r.tool.startsWith('funpack') || r.tool.startsWith('fpack'))
    console.log(`anchor | ${r.tool} | ${r.op} | ${(r.median_s * 1000).toFixed(1)} ms | ${r.note ?? ''}`);
