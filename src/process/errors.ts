// Typed errors of `caldera process`. A StepFailure carries the CALDP exit code of the step that
// failed; the innermost step's code wins because outer steps rethrow a StepFailure untouched.
import { EXIT, exitName } from './exit-codes.ts';

export class ProcessError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.GENERIC_ERROR, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ProcessError';
    this.exitCode = exitCode;
    this.code = `E_PROCESS_${exitName(exitCode) ?? 'GENERIC_ERROR'}`;
  }
}

/** The command line is wrong (exit 2): raised before anything is written. */
export class CmdlineError extends ProcessError {
  constructor(message: string) {
    super(message, EXIT.CMDLINE_ERROR);
    this.name = 'CmdlineError';
  }
}

export class StepFailure extends ProcessError {
  readonly step: string;
  readonly reason: string;
  constructor(step: string, exitCode: number, reason: string, cause?: unknown) {
    super(`${step} failed: ${reason}`, exitCode, { cause });
    this.name = 'StepFailure';
    this.step = step;
    this.reason = reason;
  }
}

/** Exit code for a memory failure, or undefined when `err` is not one. */
export function memoryExitCode(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; message?: unknown; name?: unknown; fromWorker?: unknown };
  const msg = typeof e.message === 'string' ? e.message : '';
  if (e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /Worker terminated due to reaching memory limit/.test(msg))
    return EXIT.SUBPROCESS_MEMORY_ERROR;
  // An allocation failure rebuilt from a worker thread's message (when the pool marks it so).
  const allocation = /Array buffer allocation failed|heap out of memory/i.test(msg);
  if (allocation && e.fromWorker === true) return EXIT.SUBPROCESS_MEMORY_ERROR;
  if (
    e.name === 'RangeError' &&
    /Array buffer allocation failed|Invalid typed array length|Invalid array length|allocation failed/i.test(
      msg,
    )
  )
    return EXIT.CALDP_MEMORY_ERROR;
  if (/heap out of memory/i.test(msg)) return EXIT.CALDP_MEMORY_ERROR;
  if (e.code === 'ENOMEM' || /Cannot allocate memory/i.test(msg)) return EXIT.OS_MEMORY_ERROR;
  return undefined;
}

/** A short one-line reason for logs and message files. */
export function reasonOf(err: unknown): string {
  if (err instanceof StepFailure) return err.reason;
  if (err instanceof Error) return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`;
  return String(err);
}
