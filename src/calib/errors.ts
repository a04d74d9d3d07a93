// Errors of the calibration engine. Each names the step and the file involved so a pipeline log
// says what to fix; `exitCode` 23 is CALDP's STAGE1_ERROR (calibration failed on this input).

export type CalibErrorCode =
  | 'E_CALIB_MISSING_REF'
  | 'E_CALIB_REF_SIZE'
  | 'E_CALIB_REF_TABLE'
  | 'E_CALIB_DETECTOR'
  | 'E_CALIB_SWITCH'
  | 'E_CALIB_ASN'
  | 'E_CALIB_INPUT'
  | 'E_CALIB_INTERNAL';

export const STAGE1_ERROR = 23;

export class CalibError extends Error {
  readonly code: CalibErrorCode;
  readonly exitCode: number;
  /** The file that caused the failure (raw, reference or association), when there is one. */
  readonly file: string | undefined;
  /** The calibration step (DQICORR, BIASCORR, ...) or stage (INPUT, ASN) that failed. */
  readonly step: string;

  constructor(code: CalibErrorCode, step: string, message: string, file?: string, exitCode = STAGE1_ERROR) {
    super(`${step}: ${message}${file ? ` (file: ${file})` : ''}`);
    this.name = 'CalibError';
    this.code = code;
    this.step = step;
    this.file = file;
    this.exitCode = exitCode;
  }
}
