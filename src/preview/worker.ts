// Worker-thread entry for previews of FITS files: one `createPreview` per message, so files read
// from disk are previewed beside the main thread's work.
import { parentPort } from 'node:worker_threads';
import { createPreview } from './index.ts';

parentPort?.on('message', async (job: { path: string; outDir: string }) => {
  try {
    parentPort?.postMessage({ ok: true, result: await createPreview(job.path, job.outDir) });
  } catch (err) {
    const e = err as { name?: string; message?: string };
    parentPort?.postMessage({
      ok: false,
      error: { name: e.name ?? 'Error', message: e.message ?? String(err) },
    });
  }
});
