// Loads mapping files from a cache's mappings/<obs>/ directory (or any directory), verifying sha1sums,
// caching each parsed mapping once. Instruments' rmaps load on first use (contexts are lazy).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CrdsMappingError } from './errors.ts';
import { type Mapping, type MappingLoader, ReferenceMapping } from './mapping.ts';
import { InstrumentContext, PipelineContext } from './contexts.ts';
import { parseMapping, verifyChecksum } from './parser.ts';

export interface LoaderOptions {
  /** Directories searched in order for a mapping name. */
  dirs: string[];
  /** Skip sha1sum verification (CRDS_IGNORE_MAPPING_CHECKSUM). */
  ignoreChecksum?: boolean;
}

/** Parses mapping text into the right class (chosen by extension, else by header 'mapping'). */
export function mappingFromText(
  text: string,
  name: string,
  loader: MappingLoader,
  ignoreChecksum = false,
): Mapping {
  const parsed = parseMapping(text, name);
  if (!ignoreChecksum) verifyChecksum(text, parsed.header, name);
  const declared = String(parsed.header.get('mapping') ?? '').toLowerCase();
  const kind = name.endsWith('.pmap')
    ? 'pipeline'
    : name.endsWith('.imap')
      ? 'instrument'
      : name.endsWith('.rmap')
        ? 'reference'
        : declared;
  if (declared && declared !== kind) {
    throw new CrdsMappingError(
      `Expected header mapping='${kind.toUpperCase()}' but got mapping='${declared.toUpperCase()}' in '${name}'`,
    );
  }
  if (kind === 'pipeline') return new PipelineContext(name, parsed, loader);
  if (kind === 'instrument') return new InstrumentContext(name, parsed, loader);
  if (kind === 'reference') return new ReferenceMapping(name, parsed);
  throw new CrdsMappingError(`Unknown mapping type for '${name}'`);
}

export class DirectoryLoader implements MappingLoader {
  private readonly cache = new Map<string, Mapping>();
  readonly options: LoaderOptions;
  constructor(options: LoaderOptions) {
    this.options = options;
  }

  locate(name: string): string {
    if (name.includes('/')) return name;
    for (const d of this.options.dirs) {
      const p = join(d, name);
      if (existsSync(p)) return p;
    }
    throw new CrdsMappingError(
      `Mapping '${name}' not found in ${this.options.dirs.join(', ') || '(no directories)'}`,
    );
  }

  load(name: string): Mapping {
    const key = basename(name);
    let m = this.cache.get(key);
    if (!m) {
      const path = this.locate(name);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw new CrdsMappingError(`Can't read mapping ${path}: ${(e as Error).message}`);
      }
      m = mappingFromText(text, key, this, this.options.ignoreChecksum);
      this.cache.set(key, m);
    }
    return m;
  }

  /** All mapping files in the loader's directories. */
  listMappings(): string[] {
    const out = new Set<string>();
    for (const d of this.options.dirs) {
      if (!existsSync(d)) continue;
      for (const f of readdirSync(d)) if (/\.(pmap|imap|rmap)$/.test(f)) out.add(f);
    }
    return [...out].sort();
  }
}
