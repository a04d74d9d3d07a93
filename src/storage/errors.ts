// Typed storage errors. Every one carries a stable `code` and a process `exitCode` (sysexits-style) so the
// CLI maps them uniformly; messages say what to do next.

export class StorageError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly uri: string | undefined;
  constructor(
    message: string,
    opts: { code?: string; exitCode?: number; uri?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StorageError';
    this.code = opts.code ?? 'E_STORAGE';
    this.exitCode = opts.exitCode ?? 74;
    this.uri = opts.uri;
  }
}

/** The object, file, or bucket does not exist (exit 66, EX_NOINPUT). */
export class NotFoundError extends StorageError {
  constructor(uri: string, what = 'object', cause?: unknown) {
    super(`${what} not found: ${uri} (check the name, or list the parent prefix)`, {
      code: what === 'bucket' ? 'E_NO_BUCKET' : 'E_NOT_FOUND',
      exitCode: 66,
      uri,
      cause,
    });
    this.name = 'NotFoundError';
  }
}

/** Credentials missing or refused (exit 77, EX_NOPERM). */
export class AccessDeniedError extends StorageError {
  constructor(uri: string, detail = '', cause?: unknown) {
    super(
      `access denied: ${uri}${detail ? ` (${detail})` : ''}; check AWS credentials/profile, or use unsigned access for open buckets`,
      { code: 'E_ACCESS_DENIED', exitCode: 77, uri, cause },
    );
    this.name = 'AccessDeniedError';
  }
}

/** Size or checksum did not match what the caller expected (exit 65, EX_DATAERR). */
export class IntegrityError extends StorageError {
  readonly expected: string;
  readonly actual: string;
  constructor(uri: string, what: string, expected: string, actual: string) {
    super(
      `${what} mismatch for ${uri}: expected ${expected}, got ${actual}; the transfer was discarded, retry it`,
      {
        code: 'E_INTEGRITY',
        exitCode: 65,
        uri,
      },
    );
    this.name = 'IntegrityError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** Malformed URI or a key that tries to escape (`..`) (exit 64, EX_USAGE). */
export class InvalidUriError extends StorageError {
  constructor(uri: string, reason: string) {
    super(
      `invalid storage URI ${JSON.stringify(uri)}: ${reason}; use file:<path>, s3://bucket/key, https://… or memory:<key>`,
      {
        code: 'E_INVALID_URI',
        exitCode: 64,
        uri,
      },
    );
    this.name = 'InvalidUriError';
  }
}

/** Writing to a read-only backend such as http(s) (exit 77). */
export class ReadOnlyError extends StorageError {
  constructor(uri: string, op: string) {
    super(`${op} is not possible on read-only storage: ${uri}; write to file: or s3:// instead`, {
      code: 'E_READ_ONLY',
      exitCode: 77,
      uri,
    });
    this.name = 'ReadOnlyError';
  }
}

/** The backend cannot do this at all (e.g. listing over plain HTTP) (exit 64). */
export class UnsupportedError extends StorageError {
  constructor(uri: string, op: string) {
    super(`${op} is not supported for ${uri}`, { code: 'E_UNSUPPORTED', exitCode: 64, uri });
    this.name = 'UnsupportedError';
  }
}

/** Network failure or interrupted transfer after retries (exit 75, EX_TEMPFAIL: try again later). */
export class TransferError extends StorageError {
  constructor(uri: string, detail: string, cause?: unknown) {
    super(`transfer failed for ${uri}: ${detail}; nothing was left under the final name, try again`, {
      code: 'E_TRANSFER',
      exitCode: 75,
      uri,
      cause,
    });
    this.name = 'TransferError';
  }
}
