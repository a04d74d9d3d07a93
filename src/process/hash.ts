// Streaming file digests for provenance. The file is opened before returning, so a later rename
// over the same name (a header rewrite) does not change what is hashed.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export async function startHash(
  path: string,
  algo: 'sha1' | 'sha256',
): Promise<{ done: Promise<{ hex: string; size: number }> }> {
  const fh = await open(path, 'r');
  const done = (async () => {
    const h = createHash(algo);
    let size = 0;
    try {
      for await (const chunk of fh.createReadStream({ autoClose: false, highWaterMark: 1 << 20 })) {
        h.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } finally {
      await fh.close();
    }
    return { hex: h.digest('hex'), size };
  })();
  done.catch(() => {});
  return { done };
}
