// `crds s3-env OBS ENV`: the environment STScI's `crds_s3_set` establishes for reading a CRDS cache
// from S3 (buckets and prefixes from the CRDS user guide's AWS table).
import { CrdsConfigError } from './errors.ts';

interface S3Site {
  bucket: string;
  prefix: string;
  server: string;
}

// Plugin command templates: ${...} are CRDS download-plugin variables, not JS templates.
const V = (name: string) => `\${${name}}`;
const HST_PLUGIN = `crds_s3_get ${V('SOURCE_URL')} -d ${V('OUTPUT_PATH')} --file-size ${V('FILE_SIZE')} --file-sha1sum ${V('FILE_SHA1SUM')}`;
const ROMAN_PLUGIN = `crds_s3_get ${V('FILENAME')} -d ${V('OUTPUT_PATH')} -s ${V('FILE_SIZE')} -c ${V('FILE_SHA1SUM')}`;

const SITES: Record<string, Record<string, S3Site>> = {
  hst: {
    ops: { bucket: 'hst-crds-cache-ops', prefix: '', server: 'https://hst-crds-serverless.stsci.edu' },
    test: { bucket: 'hst-crds-cache-test', prefix: '', server: 'https://hst-crds-serverless.stsci.edu' },
  },
  roman: {
    ops: { bucket: 'stpubdata', prefix: '/roman/crds', server: 'https://roman-crds-serverless.stsci.edu' },
    test: {
      bucket: 'stpubdata-tst',
      prefix: '/roman/crds/test',
      server: 'https://roman-crds-serverless.stsci.edu',
    },
    int: {
      bucket: 'stpubdata-tst',
      prefix: '/roman/crds/int',
      server: 'https://roman-crds-serverless.stsci.edu',
    },
  },
};

/** Ordered [name, value] pairs of the variables to export. */
export function s3Environment(obsIn: string, envIn: string, crdsPath?: string): [string, string][] {
  const obs = obsIn.toLowerCase();
  const env = envIn.toLowerCase();
  const site = SITES[obs]?.[env];
  if (!site) {
    const known = Object.entries(SITES)
      .flatMap(([o, e]) => Object.keys(e).map((x) => `${o} ${x}`))
      .join(', ');
    throw new CrdsConfigError(`No S3 CRDS cache for '${obsIn} ${envIn}'; known: ${known}`);
  }
  const root = `s3://${site.bucket}${site.prefix}`;
  const vars: [string, string][] = [['CRDS_PATH', crdsPath ?? '/tmp/crds_cache']];
  if (obs === 'hst') {
    vars.push(
      ['CRDS_CONFIG_URI', `${root}/config/hst/`],
      ['CRDS_REFERENCE_URI', `${root}/references/hst/`],
      ['CRDS_PICKLE_URI', `${root}/pickles/hst/`],
      ['CRDS_DOWNLOAD_MODE', 'plugin'],
      ['CRDS_DOWNLOAD_PLUGIN', HST_PLUGIN],
      ['CRDS_SERVER_URL', site.server],
      ['CRDS_USE_PICKLED_CONTEXTS', '1'],
    );
  } else {
    vars.push(
      ['CRDS_MAPPING_URI', `${root}/mappings/${obs}`],
      ['CRDS_DOWNLOAD_MODE', 'plugin'],
      ['CRDS_DOWNLOAD_PLUGIN', ROMAN_PLUGIN],
      ['CRDS_SERVER_URL', site.server],
      ['CRDS_CONFIG_URI', `${root}/config/${obs}`],
      ['CRDS_REFERENCE_URI', `${root}/references/${obs}`],
    );
  }
  vars.push(
    ['CRDS_S3_ENABLED', '1'],
    ['CRDS_S3_BUCKET', site.bucket],
    ['CRDS_S3_PREFIX', site.prefix],
    ['CRDS_OBSERVATORY', obs],
    ['CRDS_MODE', 's3'],
    ['CRDS_S3_RETURN_URI', '0'],
    ['CRDS_REF_SUBDIR_MODE', 'flat'],
  );
  return vars;
}

/** POSIX-shell `export` lines (values single-quoted so ${...} templates survive). */
export function exportLines(vars: [string, string][]): string {
  return vars.map(([k, v]) => `export ${k}='${v.replaceAll("'", `'\\''`)}'`).join('\n');
}
