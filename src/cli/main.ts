// The caldera command line: a thin shell over the library. Each command group lives in its own file
// and registers itself here; commands print through CliIO and return an exit code.
import { Command, CommanderError } from 'commander';
import { describeError } from './errors.ts';
import { type CliIO, processIO } from './io.ts';
import { registerFits } from './fits.ts';
import { registerCrds } from './crds.ts';
import { registerArchive } from './archive.ts';
import { registerCalib } from './calib.ts';
import { registerProcess } from './process.ts';

export const VERSION = '0.1.0';

export function buildProgram(io: CliIO): Command {
  const program = new Command('caldera')
    .description('Calibrate, archive and search space-telescope data.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();
  registerFits(program, io);
  registerCrds(program, io);
  registerArchive(program, io);
  registerCalib(program, io);
  registerProcess(program, io);
  return program;
}

/** Runs the CLI on argv (without node and script); resolves to the process exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const program = buildProgram(io);
  let exitCode = 0;
  program.hook('postAction', (_this, action) => {
    const code = (action as Command & { exitCodeResult?: number }).exitCodeResult;
    if (typeof code === 'number') exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    const d = describeError(err);
    io.err(`caldera: error [${d.code}]: ${d.message}`);
    return d.exitCode;
  }
}
