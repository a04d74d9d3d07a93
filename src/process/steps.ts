// The step runner: every step of a job runs wrapped, so its failure becomes a StepFailure with
// the step's CALDP exit code (memory failures map to 31/32/34 whatever the step). A StepFailure
// from a nested step passes through untouched: the innermost code wins. CALDP_SIMULATE_ERROR=N
// makes the step that owns code N fail before it starts (31/32/34 are raised for real in the
// stage that owns memory-heavy work, see `simulateMemory`).
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { memoryExitCode, reasonOf, StepFailure } from './errors.ts';
import { EXIT, exitName } from './exit-codes.ts';

export interface StepRecord {
  step: string;
  /** The exit code this step reports when it fails. */
  owns: number;
  status: 'ok' | 'failed' | 'skipped';
  startedAt: string;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  detail?: string;
  exitCode?: number;
  reason?: string;
}

export interface StepLog {
  info(text: string): void;
  error(text: string): void;
}

export interface StepOptions {
  /** This step performs the memory-heavy work: simulated memory errors (31/32/34) fire here. */
  memory?: boolean;
  /** Bookkeeping steps that share a code with the real owner (e.g. the first state message) are not simulated. */
  noSimulate?: boolean;
}

export class StepRunner {
  readonly records: StepRecord[] = [];
  private readonly simulate: number;
  private readonly log: StepLog;

  constructor(log: StepLog, simulate?: string) {
    this.log = log;
    const n = Number(simulate ?? '0');
    this.simulate = Number.isInteger(n) ? n : 0;
  }

  /** Records a step that did not run (and why). */
  skip(step: string, owns: number, detail: string): void {
    this.records.push({
      step,
      owns,
      status: 'skipped',
      startedAt: new Date().toISOString(),
      wallMs: 0,
      cpuMs: 0,
      peakRssMb: 0,
      detail,
    });
    this.log.info(`step ${step}: skipped (${detail})`);
  }

  async run<T>(
    step: string,
    owns: number,
    fn: (rec: StepRecord) => Promise<T>,
    opts: StepOptions = {},
  ): Promise<T> {
    const rec: StepRecord = {
      step,
      owns,
      status: 'ok',
      startedAt: new Date().toISOString(),
      wallMs: 0,
      cpuMs: 0,
      peakRssMb: 0,
    };
    this.records.push(rec);
    this.log.info(`step ${step}: start`);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);
    sampler.unref();
    try {
      await this.inject(step, owns, opts);
      const out = await fn(rec);
      return out;
    } catch (err) {
      const failure = toFailure(step, owns, err);
      rec.status = 'failed';
      rec.exitCode = failure.exitCode;
      rec.reason = failure.reason;
      if (failure.step === step) {
        this.log.error(
          `step ${step}: FAILED with ${exitName(failure.exitCode)}[${failure.exitCode}]: ${failure.reason}`,
        );
      }
      throw failure;
    } finally {
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage.rss());
      const c = process.cpuUsage(c0);
      rec.wallMs = performance.now() - t0;
      rec.cpuMs = (c.user + c.system) / 1000;
      rec.peakRssMb = peak / 2 ** 20;
      this.log.info(
        `step ${step}: ${rec.status} in ${rec.wallMs.toFixed(1)} ms (cpu ${rec.cpuMs.toFixed(1)} ms, peak rss ${rec.peakRssMb.toFixed(0)} MB)${rec.detail ? `: ${rec.detail}` : ''}`,
      );
    }
  }

  private async inject(step: string, owns: number, opts: StepOptions): Promise<void> {
    const n = this.simulate;
    if (n === 0 || opts.noSimulate) return;
    if (
      opts.memory &&
      (n === EXIT.SUBPROCESS_MEMORY_ERROR || n === EXIT.CALDP_MEMORY_ERROR || n === EXIT.OS_MEMORY_ERROR)
    ) {
      this.log.info(`CALDP_SIMULATE_ERROR=${n}: raising a memory error in step ${step}`);
      await simulateMemory(n);
    }
    if (n === owns) throw new Error(`Simulating error = ${n} (CALDP_SIMULATE_ERROR)`);
  }
}

function toFailure(step: string, owns: number, err: unknown): StepFailure {
  if (err instanceof StepFailure) return err;
  const mem = memoryExitCode(err);
  const code = mem ?? owns;
  const reason = reasonOf(err);
  return new StepFailure(step, code, mem ? `${exitName(mem)}: ${reason}` : reason, err);
}

/**
 * Raises a real memory failure of the kind `code` names: a worker thread with a 16 MB heap that
 * allocates until V8 stops it (31), an impossible ArrayBuffer on this thread (32), or an ENOMEM
 * error as the OS reports it (34; cannot be provoked safely, so it is constructed).
 */
export async function simulateMemory(code: number): Promise<void> {
  if (code === EXIT.SUBPROCESS_MEMORY_ERROR) {
    await new Promise<void>((resolve, reject) => {
      const w = new Worker('const a = []; for (;;) a.push(new Array(1e5).fill(1.5));', {
        eval: true,
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
      });
      w.once('error', reject);
      w.once('exit', () => resolve());
    });
    throw new Error('worker exited without running out of memory');
  }
  if (code === EXIT.CALDP_MEMORY_ERROR) {
    const huge = new ArrayBuffer(2 ** 52);
    throw new Error(`allocated ${huge.byteLength} bytes unexpectedly`);
  }
  throw Object.assign(new Error('Cannot allocate memory (simulated ENOMEM)'), { code: 'ENOMEM', errno: -12 });
}

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  /** Which errors are worth another try (default: all). */
  retryable?: (e: unknown) => boolean;
  log?: StepLog;
  what?: string;
}

/**
 * CALDP-style retries: `attempts` tries (default 3) with exponential back-off and jitter. The base
 * delay (default 500 ms) can be lowered with CALDERA_RETRY_BASE_MS (tests of dead servers).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 3;
  const envBase = Number(process.env.CALDERA_RETRY_BASE_MS);
  const base = Number.isFinite(envBase) && process.env.CALDERA_RETRY_BASE_MS ? envBase : (opts.baseMs ?? 500);
  for (let i = 0; ; i++) {
    try {
      return await fn(i);
    } catch (e) {
      if (i + 1 >= attempts || (opts.retryable && !opts.retryable(e)) || memoryExitCode(e)) throw e;
      const wait = Math.round(base * 2 ** i * (0.5 + Math.random() / 2));
      opts.log?.info(
        `${opts.what ?? 'operation'} failed (try ${i + 1}/${attempts}): ${reasonOf(e)}; retrying in ${wait} ms`,
      );
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
