// Decode worker: joins a parallel whole-image job (see parallel.ts) by drawing tile chunks from
// the shared counter until none are left.
import { parentPort } from 'node:worker_threads';
import { Header } from '../header.ts';
import { drainChunks, type ParallelJob, sharedStored } from './parallel.ts';
import { compressionParams } from './params.ts';
import { TileTable } from './table.ts';
import { allTiles } from './tiles.ts';

parentPort?.on('message', (job: ParallelJob) => {
  const control = new Int32Array(job.control, 0, 4 + job.chunks);
  try {
    const header = Header.fromImages(job.cards);
    const p = compressionParams(header);
    const table = new TileTable(header, { whole: new Uint8Array(job.data, 0, job.dataLength) });
    drainChunks(
      p,
      table,
      allTiles(p),
      sharedStored(job.bitpix, job.out, job.length),
      control,
      job.chunks,
      job.flip16,
    );
  } catch {
    // Set-up failed (cannot happen for a header the main thread parsed); the main thread
    // re-decodes whatever this worker claimed.
  }
});
