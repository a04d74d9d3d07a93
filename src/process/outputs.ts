// Copying a finished job to its output tree. Products go up all-or-nothing: if any copy fails,
// the ones already written are deleted again, so no partial product set stays under final names.
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type ObjectStore, parseUri } from '../storage/index.ts';
import type { OutputLayout } from './layout.ts';
import type { ProcessLog } from './logs.ts';
import { retry } from './steps.ts';

export interface OutputFile {
  local: string;
  uri: string;
  kind: 'input' | 'product' | 'trailer' | 'env' | 'preview' | 'log' | 'tarball';
  size?: number;
}

export function planOutputs(
  layout: OutputLayout,
  files: { inputs: string[]; products: string[]; trailer?: string; calEnv?: string; previews: string[] },
): OutputFile[] {
  const out: OutputFile[] = [];
  for (const f of files.inputs) out.push({ local: f, uri: layout.product(basename(f)), kind: 'input' });
  for (const f of files.products) out.push({ local: f, uri: layout.product(basename(f)), kind: 'product' });
  if (files.trailer && existsSync(files.trailer))
    out.push({ local: files.trailer, uri: layout.product(basename(files.trailer)), kind: 'trailer' });
  if (files.calEnv) out.push({ local: files.calEnv, uri: layout.env(basename(files.calEnv)), kind: 'env' });
  for (const f of files.previews) out.push({ local: f, uri: layout.preview(basename(f)), kind: 'preview' });
  return out;
}

/**
 * file: outputs on the scratch folder's file system are hard-linked (no copy: the scratch copy is
 * deleted on success), elsewhere copied; either way into a hidden name then renamed, so a reader
 * never sees a partial file under its final name.
 */
async function placeLocal(local: string, uri: string): Promise<void> {
  const dest = parseUri(uri).key;
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.caldera-tmp-${randomBytes(6).toString('hex')}-${basename(dest)}`);
  try {
    try {
      await link(local, tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw e;
      await copyFile(local, tmp);
    }
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Uploads every file (4 at a time, 3 tries each). On a failure the other uploads stop, every one
 * that completed is deleted again once all have settled, and the first error is rethrown.
 */
export async function copyOutputs(store: ObjectStore, files: OutputFile[], log: ProcessLog): Promise<void> {
  const written: string[] = [];
  let failed: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (!failed && next < files.length) {
      const f = files[next++];
      try {
        const size = (await stat(f.local)).size;
        if (store.scheme === 'file') await placeLocal(f.local, f.uri);
        else
          await retry(() => store.write(f.uri, createReadStream(f.local), { size }), {
            log,
            what: `copy to ${f.uri}`,
            baseMs: 200,
          });
        f.size = size;
        written.push(f.uri);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
  if (failed) {
    log.error(`output copy failed; removing the ${written.length} file(s) already written`);
    await Promise.allSettled(written.map((u) => store.delete(u)));
    throw failed.error;
  }
  log.info(`output: ${files.length} files copied`);
}
