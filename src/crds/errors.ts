// Typed errors for the CRDS layer. Two families:
//  - user-facing failures (bad mapping file, unknown instrument, download problems) carrying `code`
//    and `exitCode` for the CLI;
//  - lookup-internal errors that mirror CRDS's exception classes, because CRDS turns their messages
//    into result strings ("NOT FOUND <message>") and decides fall-through by their class.

export class CrdsError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, code = 'E_CRDS', exitCode = 1) {
    super(message);
    this.name = 'CrdsError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A mapping file that does not parse or is structurally invalid; message names file and line. */
export class CrdsMappingError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_MAPPING', 3);
    this.name = 'CrdsMappingError';
  }
}

/** The sha1sum header line does not match the file contents. */
export class CrdsChecksumError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_CHECKSUM', 3);
    this.name = 'CrdsChecksumError';
  }
}

export class CrdsUnknownInstrumentError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_UNKNOWN_INSTRUMENT', 4);
    this.name = 'CrdsUnknownInstrumentError';
  }
}

export class CrdsUnknownReftypeError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_UNKNOWN_REFTYPE', 4);
    this.name = 'CrdsUnknownReftypeError';
  }
}

/** Bad configuration (environment variable, cache layout, arguments). */
export class CrdsConfigError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_CONFIG', 2);
    this.name = 'CrdsConfigError';
  }
}

/** A file could not be fetched or failed verification (size / sha1). */
export class CrdsDownloadError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_DOWNLOAD', 5);
    this.name = 'CrdsDownloadError';
  }
}

/** An attempt to write into a cache declared read-only (CRDS_READONLY_CACHE=1). */
export class CrdsReadOnlyCacheError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_READONLY', 6);
    this.name = 'CrdsReadOnlyCacheError';
  }
}

/** A CRDS server answered with an error or could not be reached. */
export class CrdsServiceError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_SERVICE', 5);
    this.name = 'CrdsServiceError';
  }
}

/** Input the user supplied (headers JSON, dataset file) is unusable. */
export class CrdsInputError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_INPUT', 2);
    this.name = 'CrdsInputError';
  }
}

// ---- lookup-internal classes (names follow crds.core.exceptions) ----

/** CRDS LookupError family: Match falls through to weaker candidates only on these. */
export class CrdsLookupError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_LOOKUP', 1);
    this.name = 'CrdsLookupError';
  }
}
export class MatchingError extends CrdsLookupError {}
export class UseAfterError extends CrdsLookupError {}
export class VersionAfterError extends CrdsLookupError {}

export class ValidationError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_VALIDATION', 1);
    this.name = 'ValidationError';
  }
}
export class InvalidDatetimeError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_DATETIME', 1);
    this.name = 'InvalidDatetimeError';
  }
}
export class AmbiguousMatchError extends CrdsError {
  constructor(message: string) {
    super(message, 'E_CRDS_AMBIGUOUS', 1);
    this.name = 'AmbiguousMatchError';
  }
}

/** Raised inside a lookup to make the result "NOT FOUND n/a". */
export class IrrelevantReferenceTypeError extends Error {}
/** Raised inside a lookup to drop the type from the results. */
export class OmitReferenceTypeError extends Error {}

/** Python-flavoured value errors (int()/float()/datetime), messages as Python words them. */
export class PyValueError extends Error {}
/** Python KeyError: str() of it is the repr of the key. */
export class PyKeyError extends Error {}
/** Python NameError / TypeError raised by the expression evaluator. */
export class PyEvalError extends Error {}
