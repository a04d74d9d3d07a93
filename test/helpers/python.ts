// Debian's python3 with astropy, used as an oracle when installed; tests skip otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PY = '/usr/bin/python3';
let astropyChecked: boolean | undefined;

export function hasAstropy(): boolean {
  if (astropyChecked === undefined) {
    astropyChecked =
      existsSync(PY) && spawnSync(PY, ['-c', 'import astropy.io.fits'], { stdio: 'ignore' }).status === 0;
  }
  return astropyChecked;
}

export function skipUnlessAstropy(): string | false {
  return hasAstropy() ? false : 'Debian python3-astropy absent (/usr/bin/python3 -c "import astropy")';
}

/** Runs a python snippet with Debian's python3; returns stdout, throws with stderr on failure. */
export function runPython(code: string, args: string[] = []): string {
  const r = spawnSync(PY, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
