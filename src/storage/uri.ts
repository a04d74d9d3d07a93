// The one URI vocabulary: file:<path> (relative or absolute; a bare path means file:), s3://bucket/key,
// http(s)://host/path, memory:<key>. Keys and paths containing a `..` segment are rejected so that no
// caller-supplied name can escape its root.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidUriError } from './errors.ts';

export type Scheme = 'file' | 's3' | 'http' | 'https' | 'memory';

export interface ParsedUri {
  scheme: Scheme;
  /** S3 bucket; undefined elsewhere. */
  bucket?: string;
  /** Object key (s3, memory), absolute path (file), or URL path (http). */
  key: string;
  /** The canonical string form. */
  uri: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function checkSegments(uri: string, key: string): void {
  if (key.split(/[\\/]/).some((s) => s === '..'))
    throw new InvalidUriError(uri, 'a `..` segment is not allowed');
  if (key.includes('\0')) throw new InvalidUriError(uri, 'NUL byte in key');
}

export function parseUri(uri: string): ParsedUri {
  if (typeof uri !== 'string' || uri.length === 0) throw new InvalidUriError(String(uri), 'empty');
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri);
  const scheme = m ? m[1].toLowerCase() : 'file';
  if (scheme === 's3') return parseS3(uri);
  if (scheme === 'http' || scheme === 'https') return parseHttp(uri, scheme);
  if (scheme === 'memory') {
    const key = uri.slice('memory:'.length).replace(/^\/+/, '');
    checkSegments(uri, key);
    return { scheme: 'memory', key, uri: `memory:${key}` };
  }
  if (scheme === 'file') {
    let path: string;
    if (!m) path = uri;
    else if (uri.startsWith('file://')) {
      try {
        path = fileURLToPath(uri);
      } catch (e) {
        throw new InvalidUriError(uri, (e as Error).message);
      }
    } else path = uri.slice('file:'.length);
    if (path === '') throw new InvalidUriError(uri, 'empty path');
    checkSegments(uri, path);
    const trailing = /[\\/]$/.test(path) && path.length > 1 ? '/' : '';
    const abs = resolve(path) + (resolve(path) === '/' ? '' : trailing);
    return { scheme: 'file', key: abs, uri: `file:${abs}` };
  }
  throw new InvalidUriError(uri, `unknown scheme ${scheme}:`);
}

function parseS3(uri: string): ParsedUri {
  const rest = uri.slice('s3://'.length);
  if (!uri.startsWith('s3://')) throw new InvalidUriError(uri, 'expected s3://bucket/key');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET_RE.test(bucket) || bucket.includes('..'))
    throw new InvalidUriError(uri, `bad bucket name ${JSON.stringify(bucket)}`);
  checkSegments(uri, key);
  if (key.startsWith('/')) throw new InvalidUriError(uri, 'key starts with /');
  return { scheme: 's3', bucket, key, uri: `s3://${bucket}/${key}` };
}

function parseHttp(uri: string, scheme: 'http' | 'https'): ParsedUri {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new InvalidUriError(uri, 'not a URL');
  }
  if (!u.hostname) throw new InvalidUriError(uri, 'no host');
  // URL() already collapses literal `..`; reject encoded ones and the raw form as well.
  if (/(^|\/)(\.\.|%2e%2e)(\/|$)/i.test(uri.slice(uri.indexOf(u.host) + u.host.length))) {
    throw new InvalidUriError(uri, 'a `..` segment is not allowed');
  }
  return { scheme, key: u.pathname, uri: u.toString() };
}

/** Joins a prefix URI and a relative key with exactly one `/`. */
export function joinUri(prefix: string, rel: string): string {
  if (prefix.endsWith('/') || prefix.endsWith(':')) return prefix + rel.replace(/^\/+/, '');
  return `${prefix}/${rel.replace(/^\/+/, '')}`;
}

/** The last path segment of a URI (the file name). */
export function baseName(uri: string): string {
  const p = parseUri(uri).key.replace(/\/+$/, '');
  return p.slice(p.lastIndexOf('/') + 1);
}
