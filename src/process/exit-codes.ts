// CALDP's process exit codes, kept number for number so CALCLOUD-style consumers read ours the same
// way, with the explanation `caldera explain-exit N` prints.

export const EXIT = {
  SUCCESS: 0,
  GENERIC_ERROR: 1,
  CMDLINE_ERROR: 2,
  INPUT_TAR_FILE_ERROR: 21,
  ASTROQUERY_ERROR: 22,
  STAGE1_ERROR: 23,
  STAGE2_ERROR: 24,
  S3_UPLOAD_ERROR: 25,
  S3_DOWNLOAD_ERROR: 26,
  BESTREFS_ERROR: 27,
  CREATE_PREVIEWS_ERROR: 28,
  SUBPROCESS_MEMORY_ERROR: 31,
  CALDP_MEMORY_ERROR: 32,
  CONTAINER_MEMORY_ERROR: 33,
  OS_MEMORY_ERROR: 34,
  SVM_ERROR: 40,
  MVM_ERROR: 41,
} as const;

export type ExitName = keyof typeof EXIT;

const EXPLAIN: Record<ExitName, string> = {
  SUCCESS: 'Processing completed successfully.',
  GENERIC_ERROR:
    'An error with no specific handling occurred (see the reason in the error message and logs/process.txt).',
  CMDLINE_ERROR:
    'The command line was incorrect (bad dataset id, input/output URI or config); nothing was written.',
  INPUT_TAR_FILE_ERROR:
    'The inputs could not be located or unpacked (missing raw files, bad or unsafe tarball).',
  ASTROQUERY_ERROR:
    'Downloading the dataset from the archive (astroquery:/archive:) failed or returned nothing.',
  STAGE1_ERROR:
    "The instrument's stage 1 calibration failed (calacs/calwf3 equivalent), or the instrument is not supported yet.",
  STAGE2_ERROR: 'The stage 2 processing (drizzling) failed.',
  S3_UPLOAD_ERROR: 'Copying the outputs to S3 failed.',
  S3_DOWNLOAD_ERROR: 'Downloading the inputs from S3 failed.',
  BESTREFS_ERROR: 'Computing or fetching the CRDS best reference files failed.',
  CREATE_PREVIEWS_ERROR: 'Creating the preview images failed (the calibrated products were saved).',
  SUBPROCESS_MEMORY_ERROR: 'A worker thread ran out of memory.',
  CALDP_MEMORY_ERROR: 'The main process ran out of memory (heap or array buffer allocation failed).',
  CONTAINER_MEMORY_ERROR:
    'The container runtime killed the job for its memory limit (never returned directly).',
  OS_MEMORY_ERROR: 'The operating system refused memory (ENOMEM, "Cannot allocate memory").',
  SVM_ERROR: 'Single-visit mosaic processing failed (not produced by caldera yet).',
  MVM_ERROR: 'Multi-visit mosaic processing failed (not produced by caldera yet).',
};

const BY_CODE = new Map<number, ExitName>(Object.entries(EXIT).map(([k, v]) => [v, k as ExitName]));

export function exitName(code: number): ExitName | undefined {
  return BY_CODE.get(code);
}

export function isMemoryExit(code: number): boolean {
  return code === 31 || code === 32 || code === 33 || code === 34;
}

/** CALDP's wording: `EXIT - NAME[N]: explanation`; accepts a number, a numeric string or a name. */
export function explainExit(code: number | string): string {
  let name: ExitName | undefined;
  if (typeof code === 'number' || /^\d+$/.test(code)) name = exitName(Number(code));
  else if (code.toUpperCase() in EXIT) name = code.toUpperCase() as ExitName;
  if (!name) return `EXIT - unhandled exit code: ${code}`;
  return `EXIT - ${name}[${EXIT[name]}]: ${EXPLAIN[name]}`;
}

export function exitTable(): { code: number; name: ExitName; meaning: string }[] {
  return (Object.keys(EXIT) as ExitName[]).map((name) => ({
    code: EXIT[name],
    name,
    meaning: EXPLAIN[name],
  }));
}
