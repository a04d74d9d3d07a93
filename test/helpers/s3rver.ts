// Starts a real s3rver on 127.0.0.1 (free port) in a child process, for tests and benchmarks.
// Quirks handled here (see docs/storage.md): s3rver 3.x needs `--openssl-legacy-provider` on modern Node
// (its ListObjectsV2 continuation tokens use a legacy cipher), and clients must send
// `requestChecksumCalculation: 'WHEN_REQUIRED'` (S3Store does) because it rejects CRC32 trailers.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Store } from '../../src/storage/index.ts';

const require = createRequire(import.meta.url);

/** s3rver's built-in account; any signature is accepted because we allow mismatched signatures. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3rverHandle {
  endpoint: string;
  port: number;
  directory: string;
  /** A store configured for this server (path-style, test credentials). */
  store(opts?: {
    maxAttempts?: number;
    partSize?: number;
    queueSize?: number;
    retryBaseMs?: number;
  }): S3Store;
  createBucket(name: string): Promise<void>;
  /** Kills the server (SIGKILL, like a crash) without restarting it. */
  kill(): Promise<void>;
  /** Kills and starts it again on the same port and data directory after `downMs`. */
  restart(downMs?: number): Promise<void>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

function childScript(port: number, dir: string, buckets: string[]): string {
  const mod = JSON.stringify(require.resolve('s3rver'));
  const opts = JSON.stringify({
    address: '127.0.0.1',
    port,
    directory: dir,
    silent: true,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  return `const S3rver = require(${mod});
const s = new S3rver(${opts});
s.run().then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'), (e) => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => s.close().finally(() => process.exit(0)));`;
}

function launch(
  port: number,
  dir: string,
  buckets: string[],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', childScript(port, dir, buckets)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let errText = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start: ${errText}`));
    }, 15000);
    child.stderr?.on('data', (d) => {
      errText += String(d);
    });
    child.stdout?.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, port: JSON.parse(out.slice(0, nl)).port });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code}): ${errText}`));
    });
  });
}

function waitExit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill(signal);
  });
}

export async function startS3rver(opts: { buckets?: string[] } = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(join(tmpdir(), 'caldera-s3rver-'));
  const buckets = opts.buckets ?? [];
  let { child, port } = await launch(0, directory, buckets);
  const endpoint = `http://127.0.0.1:${port}`;
  const stores: S3Store[] = [];
  const handle: S3rverHandle = {
    endpoint,
    port,
    directory,
    store(o = {}) {
      const s = new S3Store({ endpoint, region: 'us-east-1', credentials: S3RVER_CREDENTIALS, ...o });
      stores.push(s);
      return s;
    },
    async createBucket(name) {
      const s = handle.store();
      await s.createBucket(name);
    },
    async kill() {
      await waitExit(child, 'SIGKILL');
    },
    async restart(downMs = 0) {
      await waitExit(child, 'SIGKILL');
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      ({ child } = await launch(port, directory, []));
    },
    async stop() {
      for (const s of stores) s.destroy();
      await waitExit(child, 'SIGTERM');
      await rm(directory, { recursive: true, force: true });
    },
  };
  return handle;
}
