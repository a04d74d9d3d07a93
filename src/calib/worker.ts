// Worker thread entry: runs one chip job per message and transfers the arrays back.
import { parentPort } from 'node:worker_threads';
import { type Job, runJob, transferables } from './chipjob.ts';

parentPort?.on('message', (job: Job) => {
  try {
    const result = runJob(job);
    parentPort?.postMessage({ ok: true, result }, transferables(result));
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string; step?: string; file?: string };
    parentPort?.postMessage({
      ok: false,
      error: {
        name: e.name ?? 'Error',
        message: e.message ?? String(err),
        code: e.code,
        step: e.step,
        file: e.file,
      },
    });
  }
});
