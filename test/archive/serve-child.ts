// Runs `caldera archive serve` in a child process (the real CLI) and reads its JSON banner.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../helpers/shared-data.ts';

export interface ServeChild {
  url: string;
  port: number;
  stats: { files: number; observations: number; products: number };
  child: ChildProcess;
  kill(): Promise<void>;
}

export function serveChild(source: string, port = 0): Promise<ServeChild> {
  // the real CLI entry (src/cli/main.ts#main), independent of how bin/ launches it
  const entry = pathToFileURL(join(projectRoot, 'src', 'cli', 'main.ts')).href;
  const code = `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`;
  const args = [
    '--input-type=module',
    '-e',
    code,
    'archive',
    'serve',
    source,
    '--json',
    '--port',
    String(port),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`archive serve did not start: ${err}`));
    }, 30000);
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.stdout?.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const banner = JSON.parse(out.slice(0, nl));
      resolve({
        ...banner,
        child,
        kill: () =>
          new Promise<void>((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGKILL');
          }),
      });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`archive serve exited ${code}: ${err}`));
    });
  });
}
