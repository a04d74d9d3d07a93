// Errors the CLI turns into exit codes. Library layers throw their own typed errors; `exitCodeFor`
// maps them here so every command reports failures the same way.

export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, code = 'E_USAGE', exitCode = 2) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Any error with a numeric `exitCode` and string `code` keeps them; anything else is exit 1. */
export function describeError(err: unknown): { code: string; exitCode: number; message: string } {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; exitCode?: unknown; message?: unknown; name?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(err);
    const exitCode = typeof e.exitCode === 'number' ? e.exitCode : 1;
    const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'E_GENERIC';
    return { code, exitCode, message };
  }
  return { code: 'E_GENERIC', exitCode: 1, message: String(err) };
}
