// Archive errors: typed, with stable codes and exit codes the CLI maps.

export class MastError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, code = 'E_MAST', exitCode = 69) {
    super(message);
    this.name = 'MastError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** The query itself is wrong (unknown column, bad range): fix the arguments (exit 64). */
export class InvalidQueryError extends MastError {
  constructor(message: string) {
    super(message, 'E_MAST_QUERY', 64);
    this.name = 'InvalidQueryError';
  }
}

/** The service answered with an error status, or timed out while EXECUTING (exit 69, unavailable). */
export class RemoteServiceError extends MastError {
  constructor(message: string) {
    super(`${message}; check MAST_URL and try again later`, 'E_MAST_SERVICE', 69);
    this.name = 'RemoteServiceError';
  }
}
