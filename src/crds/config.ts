// CRDS client configuration from CRDS_* environment variables and the CRDS cache layout
// (mappings/<obs>/, references/<obs>/[<instr>/], config/<obs>/, pickles/<obs>/). See docs/crds.md.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CrdsConfigError } from './errors.ts';
import { PyDict } from './parser.ts';
import { parseMapping } from './parser.ts';
import { toJs } from './mapping.ts';

export type CrdsMode = 'local' | 'remote' | 'auto' | 's3';
export type DownloadMode = 'http' | 'plugin' | 'rpc';
export type RefSubdirMode = 'flat' | 'instrument';

export interface CrdsConfig {
  path: string;
  mappingRoot: string;
  referenceRoot: string;
  configRoot: string;
  pickleRoot: string;
  /** *_SINGLE overrides: exact directories with no <obs> component. */
  mappingSingle: string | null;
  referenceSingle: string | null;
  configSingle: string | null;
  serverUrl: string | null;
  observatory: string | null;
  mode: CrdsMode;
  context: string | null;
  readonly: boolean;
  downloadMode: DownloadMode;
  downloadPlugin: string | null;
  refSubdirMode: RefSubdirMode | null;
  s3Enabled: boolean;
  s3ReturnUri: boolean;
  mappingUri: string | null;
  referenceUri: string | null;
  configUri: string | null;
  pickleUri: string | null;
  retryCount: number;
  retryDelaySeconds: number;
  timeoutSeconds: number;
  ignoreMappingChecksum: boolean;
  downloadChecksums: boolean;
  allowBadRules: boolean;
  allowBadReferences: boolean;
}

const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off', '']);

function bool(env: NodeJS.ProcessEnv, name: string, dflt: boolean): boolean {
  const v = env[name];
  if (v === undefined) return dflt;
  const l = v.trim().toLowerCase();
  if (TRUE.has(l)) return true;
  if (FALSE.has(l)) return false;
  throw new CrdsConfigError(`${name}=${JSON.stringify(v)} is not a boolean; use 1/0, true/false`);
}

function num(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new CrdsConfigError(`${name}=${JSON.stringify(v)} must be a number >= 0`);
  return n;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], dflt: T): T {
  const v = env[name]?.trim().toLowerCase();
  if (!v) return dflt;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new CrdsConfigError(`${name}=${JSON.stringify(v)} must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

function str(env: NodeJS.ProcessEnv, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.trim();
}

/** Reads the CRDS_* environment. Throws CrdsConfigError on malformed values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CrdsConfig {
  const path = str(env, 'CRDS_PATH') ?? join(homedir(), 'crds_cache');
  const refMode = env.CRDS_REF_SUBDIR_MODE?.trim().toLowerCase();
  if (refMode && refMode !== 'flat' && refMode !== 'instrument') {
    throw new CrdsConfigError(
      `CRDS_REF_SUBDIR_MODE=${JSON.stringify(refMode)} must be 'flat' or 'instrument'`,
    );
  }
  return {
    path,
    mappingRoot: str(env, 'CRDS_MAPPATH') ?? join(path, 'mappings'),
    referenceRoot: str(env, 'CRDS_REFPATH') ?? join(path, 'references'),
    configRoot: str(env, 'CRDS_CFGPATH') ?? join(path, 'config'),
    pickleRoot: join(path, 'pickles'),
    mappingSingle: str(env, 'CRDS_MAPPATH_SINGLE'),
    referenceSingle: str(env, 'CRDS_REFPATH_SINGLE'),
    configSingle: str(env, 'CRDS_CFGPATH_SINGLE'),
    serverUrl: str(env, 'CRDS_SERVER_URL')?.replace(/\/+$/, '') ?? null,
    observatory: str(env, 'CRDS_OBSERVATORY')?.toLowerCase() ?? null,
    mode: oneOf(env, 'CRDS_MODE', ['local', 'remote', 'auto', 's3'] as const, 'auto'),
    context: str(env, 'CRDS_CONTEXT'),
    readonly: bool(env, 'CRDS_READONLY_CACHE', false),
    downloadMode: oneOf(env, 'CRDS_DOWNLOAD_MODE', ['http', 'plugin', 'rpc'] as const, 'http'),
    downloadPlugin: str(env, 'CRDS_DOWNLOAD_PLUGIN'),
    refSubdirMode: (refMode as RefSubdirMode | undefined) ?? null,
    s3Enabled: bool(env, 'CRDS_S3_ENABLED', false),
    s3ReturnUri: bool(env, 'CRDS_S3_RETURN_URI', false),
    mappingUri: str(env, 'CRDS_MAPPING_URI'),
    referenceUri: str(env, 'CRDS_REFERENCE_URI'),
    configUri: str(env, 'CRDS_CONFIG_URI'),
    pickleUri: str(env, 'CRDS_PICKLE_URI'),
    retryCount: num(env, 'CRDS_CLIENT_RETRY_COUNT', 1),
    retryDelaySeconds: num(env, 'CRDS_CLIENT_RETRY_DELAY_SECONDS', 0),
    timeoutSeconds: num(env, 'CRDS_CLIENT_TIMEOUT_SECONDS', 300),
    ignoreMappingChecksum: bool(env, 'CRDS_IGNORE_MAPPING_CHECKSUM', false),
    downloadChecksums: bool(env, 'CRDS_DOWNLOAD_CHECKSUMS', true),
    allowBadRules: bool(env, 'CRDS_ALLOW_BAD_RULES', false),
    allowBadReferences: bool(env, 'CRDS_ALLOW_BAD_REFERENCES', false),
  };
}

/** Cache paths for one configuration. */
export class CacheLayout {
  readonly config: CrdsConfig;
  constructor(config: CrdsConfig) {
    this.config = config;
  }

  mappingDir(obs: string): string {
    return this.config.mappingSingle ?? join(this.config.mappingRoot, obs);
  }

  configDir(obs: string): string {
    return this.config.configSingle ?? join(this.config.configRoot, obs);
  }

  /** CRDS_REF_SUBDIR_MODE, else config/<obs>/ref_cache_subdir_mode, else 'instrument' (HST) / 'flat'. */
  refSubdirMode(obs: string): RefSubdirMode {
    if (this.config.refSubdirMode) return this.config.refSubdirMode;
    const f = join(this.configDir(obs), 'ref_cache_subdir_mode');
    if (existsSync(f)) {
      const v = readFileSync(f, 'utf8').trim().toLowerCase();
      if (v === 'flat' || v === 'instrument') return v;
      throw new CrdsConfigError(`${f} says ${JSON.stringify(v)}; expected 'flat' or 'instrument'`);
    }
    return obs === 'hst' ? 'instrument' : 'flat';
  }

  referenceDir(obs: string, instrument?: string | null): string {
    if (this.config.referenceSingle) return this.config.referenceSingle;
    const base = join(this.config.referenceRoot, obs);
    return this.refSubdirMode(obs) === 'instrument' && instrument
      ? join(base, instrument.toLowerCase())
      : base;
  }

  /** Where a file lives in the cache. */
  locate(obs: string, name: string, instrument?: string | null): string {
    return /\.(pmap|imap|rmap)$/.test(name)
      ? join(this.mappingDir(obs), name)
      : join(this.referenceDir(obs, instrument), name);
  }

  /** config/<obs>/server_config as a plain object, or null. */
  serverConfig(obs: string): Record<string, unknown> | null {
    const f = join(this.configDir(obs), 'server_config');
    if (!existsSync(f)) return null;
    const text = readFileSync(f, 'utf8').trim();
    if (text.startsWith('{"') || text.startsWith('{\n  "')) return JSON.parse(text);
    const parsed = parseMapping(`header = ${text}\nselector = {}\n`, f).header;
    return parsed instanceof PyDict ? (toJs(parsed) as Record<string, unknown>) : null;
  }

  /** Bad files named by the cached server config (bad_files.txt or server_config). */
  badFiles(obs: string): Set<string> {
    const f = join(this.configDir(obs), 'bad_files.txt');
    if (existsSync(f)) {
      return new Set(
        readFileSync(f, 'utf8')
          .split(/\s+/)
          .filter((x) => x),
      );
    }
    const cfg = this.serverConfig(obs);
    return new Set(((cfg?.bad_files_list as string[]) ?? []).map(String));
  }
}

/** Observatory of a mapping or reference name by CRDS naming (hst_..., jwst_..., tobs...). */
export function observatoryOf(name: string, dflt: string | null = null): string {
  const m = /^(hst|jwst|roman|tobs)[_.]/.exec(name.toLowerCase());
  if (m) return m[1];
  if (dflt) return dflt;
  throw new CrdsConfigError(`Cannot tell the observatory of '${name}'; set CRDS_OBSERVATORY`);
}
