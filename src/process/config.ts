// The CONFIG argument (onsite / offsite / aws / a KEY=VALUE file) and `<dataset>_cal_env.txt`, both
// turned into plain environment maps applied on top of the caller's environment for one job.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CmdlineError } from './errors.ts';

export type ConfigName = 'onsite' | 'offsite' | 'aws' | 'file';

export interface JobConfig {
  name: ConfigName;
  /** Where the configuration came from (a name or the file path). */
  source: string;
  vars: Record<string, string>;
}

const PREFIXES = ['iref', 'jref', 'oref', 'lref', 'nref', 'uref'];
const CLI = fileURLToPath(new URL('../cli/run.ts', import.meta.url));

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** KEY=VALUE lines: blank lines and # comments skipped, `export ` allowed, quotes stripped. */
export function parseKeyValues(text: string): {
  vars: Record<string, string>;
  bad: { line: number; text: string }[];
} {
  const vars: Record<string, string> = {};
  const bad: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      bad.push({ line: i + 1, text: raw });
      return;
    }
    let v = m[2].trim();
    if (v.length >= 2 && ((v[0] === '"' && v.endsWith('"')) || (v[0] === "'" && v.endsWith("'"))))
      v = v.slice(1, -1);
    vars[m[1]] = v;
  });
  return { vars, bad };
}

/** Expands ${NAME} and $NAME from `vars` then `env` (a config may refer to CRDS_PATH it just set). */
function expand(value: string, vars: Record<string, string>, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a, b) => {
    const k = a ?? b;
    return vars[k] ?? env[k] ?? '';
  });
}

function withPrefixes(vars: Record<string, string>, refDir: (p: string) => string): Record<string, string> {
  for (const p of PREFIXES) vars[p] ??= refDir(p);
  return vars;
}

const INSTRUMENT_OF: Record<string, string> = {
  iref: 'wfc3',
  jref: 'acs',
  oref: 'stis',
  lref: 'cos',
  nref: 'nicmos',
  uref: 'wfpc2',
};

/**
 * CALDP's three configurations, as environment maps:
 *  - onsite: a read-only CRDS cache at CRDS_PATH, no server contacted;
 *  - offsite: a CRDS server (CRDS_SERVER_URL, default hst-crds.stsci.edu) feeding a writable cache;
 *  - aws: references from an S3 mirror (CRDSBUCKET) through the download plugin.
 * Anything else is a file of KEY=VALUE lines.
 */
export function resolveConfig(arg: string | undefined, env: NodeJS.ProcessEnv, home: string): JobConfig {
  const name = (arg ?? 'onsite').replace(/^caldp-config-/, '');
  if (name === 'onsite') {
    const path = env.CRDS_PATH ?? '/grp/crds/hst';
    const vars = { CRDS_PATH: path, CRDS_READONLY_CACHE: '1', CRDS_MODE: 'local', CRDS_OBSERVATORY: 'hst' };
    return { name, source: 'onsite', vars: withPrefixes(vars, () => join(path, 'references', 'hst')) };
  }
  if (name === 'offsite') {
    const path = env.CRDS_PATH ?? join(home, 'crds_cache');
    const vars = {
      CRDS_PATH: path,
      CRDS_SERVER_URL: env.CRDS_SERVER_URL ?? 'https://hst-crds.stsci.edu',
      CRDS_READONLY_CACHE: '0',
      CRDS_OBSERVATORY: 'hst',
      CRDS_CLIENT_RETRY_COUNT: env.CRDS_CLIENT_RETRY_COUNT ?? '3',
      CRDS_CLIENT_RETRY_DELAY_SECONDS: env.CRDS_CLIENT_RETRY_DELAY_SECONDS ?? '1',
    };
    return {
      name,
      source: 'offsite',
      vars: withPrefixes(vars, (p) => join(path, 'references', 'hst', INSTRUMENT_OF[p])),
    };
  }
  if (name === 'aws') {
    const bucket = env.CRDSBUCKET;
    if (!bucket)
      throw new CmdlineError(
        'CONFIG aws needs CRDSBUCKET (s3://bucket/prefix of the CRDS mirror) in the environment',
      );
    const path = env.CRDS_PATH ?? join(home, 'crds_cache');
    const root = bucket.replace(/\/+$/, '');
    const vars = {
      CRDS_PATH: path,
      CRDS_CONFIG_URI: `${root}/config/hst/`,
      CRDS_MAPPING_URI: `${root}/mappings/hst/`,
      CRDS_REFERENCE_URI: `${root}/references/hst/`,
      CRDS_PICKLE_URI: `${root}/pickles/hst/`,
      CRDS_SERVER_URL: env.CRDS_SERVER_URL ?? 'https://hst-crds-serverless.stsci.edu',
      CRDS_MODE: 'local',
      CRDS_DOWNLOAD_MODE: env.CRDS_DOWNLOAD_MODE ?? 'plugin',
      CRDS_S3_ENABLED: '1',
      CRDS_S3_RETURN_URI: '0',
      CRDS_READONLY_CACHE: '0',
      CRDS_OBSERVATORY: 'hst',
    };
    if (env.CRDSCONTEXT && !env.CRDS_CONTEXT) Object.assign(vars, { CRDS_CONTEXT: env.CRDSCONTEXT });
    // CALDP's crds_s3_get plugin is our `caldera crds s3-get`, run with this same Node.
    Object.assign(vars, {
      CRDS_DOWNLOAD_PLUGIN:
        env.CRDS_DOWNLOAD_PLUGIN ??
        `${shellQuote(process.execPath)} ${shellQuote(CLI)} crds s3-get \${SOURCE_URL} \${OUTPUT_PATH} \${FILE_SIZE} \${FILE_SHA1SUM}`,
    });
    return {
      name,
      source: 'aws',
      vars: withPrefixes(vars, (p) => join(path, 'references', 'hst', INSTRUMENT_OF[p])),
    };
  }
  let text: string;
  try {
    text = readFileSync(arg!, 'utf8');
  } catch (e) {
    throw new CmdlineError(
      `CONFIG ${JSON.stringify(arg)} is neither onsite, offsite, aws nor a readable KEY=VALUE file (${(e as Error).message})`,
    );
  }
  const { vars, bad } = parseKeyValues(text);
  if (bad.length) {
    throw new CmdlineError(
      `CONFIG file ${arg}: line ${bad[0].line} is not KEY=VALUE: ${JSON.stringify(bad[0].text.trim())}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = expand(v, out, env);
  return { name: 'file', source: arg!, vars: out };
}

export interface CalEnv {
  vars: Record<string, string>;
  /** Lines that were not KEY=VALUE (logged and skipped, as CALDP does). */
  bad: { line: number; text: string }[];
}

export function parseCalEnv(text: string): CalEnv {
  return parseKeyValues(text);
}
