// Process entry of the CLI (bin/caldera execs this file).
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
