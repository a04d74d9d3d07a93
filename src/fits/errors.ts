// The one error type of the FITS layer. It says where (file, HDU, card or byte offset) so a user
// can find the fault with a hex dump or `caldera fits header`.

export interface FitsErrorWhere {
  file?: string;
  hdu?: number;
  card?: number;
  keyword?: string;
  offset?: number;
}

export class FitsError extends Error {
  readonly code: string = 'E_FITS';
  /** Exit code for CLIs: 1 like fitsverify's "problems found". */
  readonly exitCode: number = 1;
  readonly file?: string;
  readonly hdu?: number;
  readonly card?: number;
  readonly keyword?: string;
  readonly offset?: number;
  readonly reason: string;

  constructor(reason: string, where: FitsErrorWhere = {}) {
    super(FitsError.compose(reason, where));
    this.name = 'FitsError';
    this.reason = reason;
    this.file = where.file;
    this.hdu = where.hdu;
    this.card = where.card;
    this.keyword = where.keyword;
    this.offset = where.offset;
  }

  /** Same error with more location filled in (inner code knows the card, outer code the file). */
  withWhere(where: FitsErrorWhere): FitsError {
    return new FitsError(this.reason, {
      file: this.file ?? where.file,
      hdu: this.hdu ?? where.hdu,
      card: this.card ?? where.card,
      keyword: this.keyword ?? where.keyword,
      offset: this.offset ?? where.offset,
    });
  }

  private static compose(reason: string, w: FitsErrorWhere): string {
    const parts: string[] = [];
    if (w.file !== undefined) parts.push(w.file);
    if (w.hdu !== undefined) parts.push(`HDU ${w.hdu}`);
    if (w.card !== undefined) parts.push(`card ${w.card + 1}`);
    if (w.keyword !== undefined) parts.push(`keyword ${w.keyword}`);
    if (w.offset !== undefined) parts.push(`byte ${w.offset}`);
    return parts.length ? `${parts.join(', ')}: ${reason}` : reason;
  }
}

/** Wraps any failure inside `fn` as a FitsError located at `where`. */
export function locate<T>(where: FitsErrorWhere, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FitsError) throw err.withWhere(where);
    if (err instanceof RangeError)
      throw new FitsError(`data are truncated or malformed (${err.message})`, where);
    throw err;
  }
}
