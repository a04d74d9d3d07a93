// Runs the CLI in-process with captured output.
import { main } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => {
      out += t.endsWith('\n') ? t : `${t}\n`;
    },
    err: (t) => {
      err += t.endsWith('\n') ? t : `${t}\n`;
    },
    interactive: false,
  });
  return { code, out, err };
}
