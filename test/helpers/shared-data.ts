// Locates ../shared/data (real external test data). Tests that need it skip with a message when absent.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the shared data folder (may not exist). */
export const sharedDataDir: string =
  process.env.CALDERA_SHARED_DATA ?? resolve(projectRoot, '..', 'shared', 'data');

/** Absolute path of the anchors folder (may not exist). */
export const sharedAnchorsDir: string = resolve(sharedDataDir, '..', 'anchors');

/** Path inside shared/data, or undefined when it is absent. */
export function sharedPath(...parts: string[]): string | undefined {
  const p = join(sharedDataDir, ...parts);
  return existsSync(p) ? p : undefined;
}

/** A `skip` option for node:test: false when present, otherwise the reason. */
export function skipUnlessShared(...parts: string[]): string | false {
  return sharedPath(...parts) ? false : `shared test data absent: ${join(sharedDataDir, ...parts)}`;
}

export { projectRoot };
