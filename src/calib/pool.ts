// Runs chip jobs on worker threads (one per chip at a time, up to `size`), or inline when size is 0.
// Arrays move between threads by transfer, not copy; a failed job rejects with the worker's error
// rebuilt as a CalibError when it was one.
import { Worker } from 'node:worker_threads';
import { type Job, type JobResult, runJob, transferables } from './chipjob.ts';
import { CalibError } from './errors.ts';

interface Pending {
  job: Job;
  /** Jobs with the same affinity (a chip) prefer the worker that last ran one: its references are cached there. */
  affinity?: string;
  resolve: (r: JobResult) => void;
  reject: (e: unknown) => void;
}

export class ChipPool {
  readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly lastAffinity = new Map<Worker, string>();

  constructor(size: number) {
    this.size = Math.max(0, Math.floor(size));
  }

  run<R extends JobResult>(job: Job, affinity?: string): Promise<R> {
    if (this.size === 0) {
      try {
        return Promise.resolve(runJob(job) as R);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ job, affinity, resolve: resolve as (r: JobResult) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      let w = this.idle.pop();
      if (!w && this.all.length < this.size) {
        w = new Worker(new URL('./worker.ts', import.meta.url));
        w.unref();
        this.all.push(w);
      }
      if (!w) return;
      // A queued job with this worker's last affinity goes first; otherwise the oldest.
      const last = this.lastAffinity.get(w);
      const i = last === undefined ? -1 : this.queue.findIndex((t) => t.affinity === last);
      const [task] = this.queue.splice(Math.max(0, i), 1);
      if (task.affinity !== undefined) this.lastAffinity.set(w, task.affinity);
      this.dispatch(w, task);
    }
  }

  private dispatch(w: Worker, task: Pending): void {
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      this.idle.push(w);
      this.pump();
    };
    const onMessage = (msg: {
      ok: boolean;
      result?: JobResult;
      error?: { name: string; message: string; code?: string; step?: string; file?: string };
    }) => {
      done();
      if (msg.ok) task.resolve(msg.result!);
      else task.reject(rebuildError(msg.error!));
    };
    const onError = (err: Error) => {
      w.off('message', onMessage);
      w.off('error', onError);
      const i = this.all.indexOf(w);
      if (i >= 0) this.all.splice(i, 1);
      this.lastAffinity.delete(w);
      task.reject(err);
      this.pump();
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage(task.job, transferables(task.job));
  }

  async close(): Promise<void> {
    const ws = this.all.splice(0);
    this.idle.length = 0;
    this.lastAffinity.clear();
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

function rebuildError(e: {
  name: string;
  message: string;
  code?: string;
  step?: string;
  file?: string;
}): Error {
  if (e.name === 'CalibError' && e.code && e.step) {
    const err = new CalibError(e.code as CalibError['code'], e.step, '', e.file);
    err.message = e.message;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
